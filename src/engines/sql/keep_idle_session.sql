SET idle_session_timeout = 0
