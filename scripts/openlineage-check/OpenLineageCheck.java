import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.openlineage.client.OpenLineage;
import io.openlineage.client.OpenLineageClientUtils;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Checks OpenLineage events with the official Java client (io.openlineage:openlineage-java): each line of
 * each file given is one RunEvent in JSON. An event is accepted when
 *
 * 1. the client's own parser reads it (OpenLineageClientUtils.runEventFromJson: a run id that is not a
 *    UUID, an eventType outside the spec's enum, a time that is not ISO 8601, a field of the wrong type
 *    are refused);
 * 2. what the spec requires is there (the parser leaves a missing field null): eventTime, eventType,
 *    producer, run.runId, job.namespace and job.name, every dataset's namespace and name, every facet's
 *    _producer, and the required fields of the facets the model types;
 * 3. the client writes it back as it was read (OpenLineageClientUtils.toJson), times compared as instants:
 *    a field of an event, run, job or dataset that the model does not know is dropped there, an eventType
 *    in the wrong case is rewritten, and a facet whose _schemaURL the model fixes must name that one.
 *
 * Prints one JSON line per event ({"file","line","ok","error"}) and exits 1 if any event was refused.
 * Run by scripts/openlineage-check/run.sh.
 */
public final class OpenLineageCheck {
  private static final ObjectMapper MAPPER = OpenLineageClientUtils.newObjectMapper();

  public static void main(String[] args) throws Exception {
    boolean allOk = true;
    for (String file : args) {
      List<String> lines = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
      for (int index = 0; index < lines.size(); index++) {
        String line = lines.get(index).trim();
        if (line.isEmpty()) continue;
        String error = check(line);
        allOk &= error == null;
        ObjectNode report = MAPPER.createObjectNode().put("file", file).put("line", index + 1).put("ok", error == null);
        if (error != null) report.put("error", error);
        System.out.println(MAPPER.writeValueAsString(report));
      }
    }
    System.exit(allOk ? 0 : 1);
  }

  /** Why the client refuses the event, or null when it accepts it. */
  static String check(String json) {
    OpenLineage.RunEvent event;
    try {
      event = OpenLineageClientUtils.runEventFromJson(json);
    } catch (RuntimeException parseError) {
      Throwable cause = parseError.getCause() != null ? parseError.getCause() : parseError;
      return "the client cannot parse it: " + cause.getMessage().split("\n")[0];
    }
    List<String> missing = new ArrayList<>();
    required(missing, event.getEventTime(), "eventTime");
    required(missing, event.getEventType(), "eventType");
    required(missing, event.getProducer(), "producer");
    required(missing, event.getRun(), "run");
    if (event.getRun() != null) required(missing, event.getRun().getRunId(), "run.runId");
    required(missing, event.getJob(), "job");
    if (event.getJob() != null) {
      required(missing, event.getJob().getNamespace(), "job.namespace");
      required(missing, event.getJob().getName(), "job.name");
    }
    if (event.getInputs() != null) for (OpenLineage.InputDataset input : event.getInputs()) dataset(missing, "inputs", input.getNamespace(), input.getName());
    if (event.getOutputs() != null) for (OpenLineage.OutputDataset output : event.getOutputs()) dataset(missing, "outputs", output.getNamespace(), output.getName());
    facetRequirements(missing, event);
    walk(missing, event, "event", new IdentityHashMap<>());
    if (!missing.isEmpty()) return "missing what the spec requires: " + String.join(", ", missing);
    try {
      String difference = difference(MAPPER.readTree(json), MAPPER.readTree(OpenLineageClientUtils.toJson(event)), "");
      return difference == null ? null : "the client does not write it back as read: " + difference;
    } catch (Exception roundTrip) {
      return "the client cannot write it back: " + roundTrip.getMessage();
    }
  }

  private static void required(List<String> missing, Object value, String name) {
    if (value == null || (value instanceof String text && text.isEmpty())) missing.add(name);
  }

  private static void dataset(List<String> missing, String side, String namespace, String name) {
    required(missing, namespace, side + "[].namespace");
    required(missing, name, side + "[].name");
  }

  /** The fields the spec requires in the facets the model types (the parser leaves them null when absent). */
  private static void facetRequirements(List<String> missing, OpenLineage.RunEvent event) {
    OpenLineage.RunFacets run = event.getRun() == null ? null : event.getRun().getFacets();
    if (run != null) {
      OpenLineage.ParentRunFacet parent = run.getParent();
      if (parent != null) {
        required(missing, parent.getRun() == null ? null : parent.getRun().getRunId(), "parent.run.runId");
        required(missing, parent.getJob() == null ? null : parent.getJob().getNamespace(), "parent.job.namespace");
        required(missing, parent.getJob() == null ? null : parent.getJob().getName(), "parent.job.name");
        if (parent.getRoot() != null) {
          required(missing, parent.getRoot().getRun() == null ? null : parent.getRoot().getRun().getRunId(), "parent.root.run.runId");
          required(missing, parent.getRoot().getJob() == null ? null : parent.getRoot().getJob().getNamespace(), "parent.root.job.namespace");
          required(missing, parent.getRoot().getJob() == null ? null : parent.getRoot().getJob().getName(), "parent.root.job.name");
        }
      }
      if (run.getNominalTime() != null) required(missing, run.getNominalTime().getNominalStartTime(), "nominalTime.nominalStartTime");
      if (run.getErrorMessage() != null) {
        required(missing, run.getErrorMessage().getMessage(), "errorMessage.message");
        required(missing, run.getErrorMessage().getProgrammingLanguage(), "errorMessage.programmingLanguage");
      }
      if (run.getProcessing_engine() != null) required(missing, run.getProcessing_engine().getVersion(), "processing_engine.version");
    }
    OpenLineage.JobFacets job = event.getJob() == null ? null : event.getJob().getFacets();
    if (job != null) {
      if (job.getJobType() != null) {
        required(missing, job.getJobType().getProcessingType(), "jobType.processingType");
        required(missing, job.getJobType().getIntegration(), "jobType.integration");
      }
      if (job.getDocumentation() != null) required(missing, job.getDocumentation().getDescription(), "documentation.description");
    }
    List<OpenLineage.Dataset> datasets = new ArrayList<>();
    if (event.getInputs() != null) datasets.addAll(event.getInputs());
    if (event.getOutputs() != null) datasets.addAll(event.getOutputs());
    for (OpenLineage.Dataset dataset : datasets) {
      OpenLineage.SchemaDatasetFacet schema = dataset.getFacets() == null ? null : dataset.getFacets().getSchema();
      if (schema != null && schema.getFields() != null) for (OpenLineage.SchemaDatasetFacetFields field : schema.getFields()) required(missing, field.getName(), "schema.fields[].name");
    }
    if (event.getInputs() != null) {
      for (OpenLineage.InputDataset input : event.getInputs()) {
        OpenLineage.DataQualityAssertionsDatasetFacet checks = input.getInputFacets() == null ? null : input.getInputFacets().getDataQualityAssertions();
        if (checks == null) continue;
        required(missing, checks.getAssertions(), "dataQualityAssertions.assertions");
        if (checks.getAssertions() != null) {
          for (OpenLineage.DataQualityAssertionsDatasetFacetAssertions assertion : checks.getAssertions()) {
            required(missing, assertion.getAssertion(), "dataQualityAssertions.assertions[].assertion");
            required(missing, assertion.getSuccess(), "dataQualityAssertions.assertions[].success");
          }
        }
      }
    }
    if (event.getOutputs() != null) {
      for (OpenLineage.OutputDataset output : event.getOutputs()) {
        OpenLineage.OutputStatisticsOutputDatasetFacet statistics = output.getOutputFacets() == null ? null : output.getOutputFacets().getOutputStatistics();
        if (statistics != null) required(missing, statistics.getRowCount(), "outputStatistics.rowCount");
      }
    }
  }

  /** Every facet of the model's types (BaseFacet's subclasses) must carry its _producer. */
  private static void walk(List<String> missing, Object value, String path, IdentityHashMap<Object, Boolean> seen) {
    if (value == null || seen.containsKey(value)) return;
    if (value instanceof List<?> list) {
      for (Object item : list) walk(missing, item, path + "[]", seen);
      return;
    }
    if (value instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> entry : map.entrySet()) walk(missing, entry.getValue(), path + "." + entry.getKey(), seen);
      return;
    }
    if (!value.getClass().getName().startsWith("io.openlineage.client.OpenLineage$")) return;
    seen.put(value, true);
    for (Method getter : value.getClass().getMethods()) {
      if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers()) || !getter.getName().startsWith("get") || getter.getName().equals("getClass")) continue;
      Object child;
      try {
        child = getter.invoke(value);
      } catch (ReflectiveOperationException unreadable) {
        continue;
      }
      if (getter.getName().equals("get_producer") && child == null) missing.add(path + "._producer");
      walk(missing, child, path + "." + fieldName(getter.getName()), seen);
    }
  }

  private static String fieldName(String getter) {
    String name = getter.substring(3);
    return name.isEmpty() ? name : Character.toLowerCase(name.charAt(0)) + name.substring(1);
  }

  /** The first place where two JSON trees differ (times compared as instants), or null when they are equal. */
  static String difference(JsonNode read, JsonNode written, String path) {
    if (read.isObject() && written.isObject()) {
      for (Iterator<String> names = read.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        if (!written.has(name)) return path + "/" + name + " is dropped by the client's model";
        String inner = difference(read.get(name), written.get(name), path + "/" + name);
        if (inner != null) return inner;
      }
      for (Iterator<String> names = written.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        if (!read.has(name)) return path + "/" + name + " is added by the client's model (" + written.get(name) + ")";
      }
      return null;
    }
    if (read.isArray() && written.isArray()) {
      if (read.size() != written.size()) return path + " has " + read.size() + " items, written back " + written.size();
      for (int index = 0; index < read.size(); index++) {
        String inner = difference(read.get(index), written.get(index), path + "/" + index);
        if (inner != null) return inner;
      }
      return null;
    }
    if (read.isNumber() && written.isNumber() && read.decimalValue().compareTo(written.decimalValue()) == 0) return null;
    if (read.equals(written)) return null;
    if (read.isTextual() && written.isTextual() && sameInstant(read.asText(), written.asText())) return null;
    return path + " is " + read + ", written back as " + written;
  }

  private static boolean sameInstant(String a, String b) {
    try {
      return ZonedDateTime.parse(a).toInstant().equals(ZonedDateTime.parse(b).toInstant());
    } catch (DateTimeParseException notTimes) {
      return false;
    }
  }
}
