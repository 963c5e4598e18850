import { Session } from 'chdb';
import fs from 'node:fs';
const [H] = process.argv.slice(2);
const s = new Session(H + '/clickhouse');
const t = (label, sql) => { const c0 = process.cpuUsage(); const t0 = performance.now(); const r = s.query(sql, 'CSV'); const c = process.cpuUsage(c0); console.log(label.padEnd(30), (performance.now() - t0).toFixed(0).padStart(6), 'ms wall', ((c.user + c.system) / 1000).toFixed(0).padStart(6), 'ms cpu', String(r).trim().slice(0, 80)); return (c.user+c.system)/1000; };
s.query('SYSTEM STOP MERGES');
const gen = fs.readFileSync('src/sources/sql/generate_events.sql', 'utf8')
  .replace(/\{events_per_hour:UInt64\}/g, '1000000').replace(/\{seed:UInt64\}/g, '42')
  .replace(/\{batch_id:String\}/g, "'scratch_b'").replace(/\{window_start:DateTime\('UTC'\)\}/g, "toDateTime('2026-11-21 10:00:00','UTC')")
  .replace(/WHERE number NOT IN \([\s\S]*?\n    \)\n/, '\n');
const rules = fs.readFileSync('src/layers/bronze/sql/rejection_rules.sql','utf8').replace(/^--.*$/mg,'').trim();
const valid = `_source_problem = '' AND event_id != '' AND user_name != '' AND isFinite(value) AND value >= 0 AND value <= 999999999.99 AND toUnixTimestamp(event_time) != 0 AND event_time <= _window_start + toIntervalHour(25)`;
s.query('CREATE DATABASE IF NOT EXISTS scratch');
const sums = {};
for (let i = 0; i < 4; i++) {
  const concatForm = `trim(TRAILING ',' FROM concat(if(_source_problem = '', '', concat(_source_problem, ',')), if(event_id = '', 'empty_event_id,', ''), if(user_name = '', 'empty_user_name,', ''), if(NOT isFinite(value), 'non_finite_value,', ''), if(isFinite(value) AND value < 0, 'negative_value,', ''), if(isFinite(value) AND value > 999999999.99, 'value_out_of_range,', ''), if(toUnixTimestamp(event_time) = 0, 'invalid_event_time,', ''), if(event_time > _window_start + toIntervalHour(25), 'future_event_time,', '')))`;
  for (const [name, expr] of Object.entries({ current: rules, shortcircuit: `if(${valid}, '', ${rules})`, concat: concatForm, none: "''" })) {
    s.query('DROP TABLE IF EXISTS scratch.b SYNC');
    s.query('CREATE TABLE scratch.b AS bronze.stg_events');
    s.query(`ALTER TABLE scratch.b MODIFY COLUMN _rejection_reason String MATERIALIZED ${expr}`);
    sums[name] = (sums[name] ?? 0) + t(name, gen.replace('INSERT INTO bronze.stg_events', 'INSERT INTO scratch.b'));
  }
}
console.log(sums);
t('check', `SELECT count() FROM scratch.b`);
s.query('DROP DATABASE scratch SYNC');
s.query('SYSTEM START MERGES');
