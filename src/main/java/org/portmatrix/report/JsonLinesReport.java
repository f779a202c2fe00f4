package org.portmatrix.report;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.SerializableString;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.Writer;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.portmatrix.inspect.CertificateInfo;
import org.portmatrix.inspect.TlsInfo;

/**
 * One JSON object per flow, one per line, streamed as flows end. Strings are escaped by Jackson;
 * '<', '>' and '&' are escaped too, so a record pasted into HTML cannot open a tag.
 */
public final class JsonLinesReport implements FlowReport {
    private static final JsonFactory FACTORY = JsonFactory.builder().build();
    private final JsonGenerator json;
    private final char[] stamp = new char[Timestamps.MAX_CHARS];
    private long written;

    public JsonLinesReport(Writer out) throws IOException {
        this(FACTORY.createGenerator(out));
    }

    /**
     * JSON lines as UTF-8 bytes straight into {@code out}. Measured reason to prefer it over a
     * Writer: encoding the characters to UTF-8 in a second step was 15-25% of the flow thread's CPU
     * (reference workload; a million-flow capture).
     */
    public JsonLinesReport(OutputStream out) throws IOException {
        this(FACTORY.createGenerator(out, JsonEncoding.UTF8));
    }

    private JsonLinesReport(JsonGenerator json) {
        this.json = json;
        this.json.setCharacterEscapes(new HtmlSafeEscapes());
        this.json.setRootValueSeparator(new SerializedString("\n"));
    }

    @Override
    public void flow(FlowRecord r) throws IOException {
        json.writeStartObject();
        for (int i = 0; i < FIELDS.length; i++) {
            json.writeFieldName(NAMES[i]);
            // The numbers and timestamps written from the record's primitives: no boxed number and no
            // string per field. Measured reason (reference workload): they were 13 MB (timestamps) and
            // 5 MB (numbers) of the 180 MB a run allocated. The bytes are those of the generic path.
            switch (FIELDS[i]) {
                case TS_FIRST -> json.writeString(stamp, 0, Timestamps.iso(r.tsFirstNanos(), stamp));
                case TS_LAST -> json.writeString(stamp, 0, Timestamps.iso(r.tsLastNanos(), stamp));
                case SRC_PORT -> writeOptional(r.srcPort());
                case DST_PORT -> writeOptional(r.dstPort());
                case VLAN -> writeOptional(r.vlan());
                case PACKETS_FWD -> json.writeNumber(r.packetsFwd());
                case PACKETS_REV -> json.writeNumber(r.packetsRev());
                case BYTES_FWD -> json.writeNumber(r.bytesFwd());
                case BYTES_REV -> json.writeNumber(r.bytesRev());
                case FLOW_ID -> json.writeNumber(r.flowId());
                case TLS -> writeTls(r.tls());
                case REASON -> writeReason(r.reason());
                default -> {
                    Object v = FIELDS[i].value(r);
                    if (!writeScalar(v)) {
                        writeValue(v);
                    }
                }
            }
        }
        json.writeEndObject();
        written++;
    }

    /** A port or VLAN id: null when negative (none), as {@link FlowField} gives it. */
    private void writeOptional(int v) throws IOException {
        if (v < 0) {
            json.writeNull();
        } else {
            json.writeNumber(v);
        }
    }

    private static final FlowField[] FIELDS = FlowField.values();
    private static final SerializedString[] NAMES = java.util.Arrays.stream(FIELDS).map(f -> new SerializedString(f.key()))
            .toArray(SerializedString[]::new);

    /**
     * Writes a plain value and returns true, or returns false for an object or a list. Kept apart
     * from the recursive {@link #writeValue}, which only TLS flows reach: compiled as one method, the
     * recursion made the JIT compile this per-flow path for about 0.8 s of CPU (JFR, reference workload).
     */
    private boolean writeScalar(Object v) throws IOException {
        if (v == null) {
            json.writeNull();
        } else if (v instanceof String s) {
            json.writeString(s);
        } else if (v instanceof Boolean b) {
            json.writeBoolean(b);
        } else if (v instanceof Integer i) {
            json.writeNumber(i);
        } else if (v instanceof Long l) {
            json.writeNumber(l);
        } else {
            return false;
        }
        return true;
    }

    /**
     * The {@code tls} field, written from the record's fields without building its map, each
     * certificate from its JSON text made once. Measured reason: the map, its certificate lists and
     * their iterators were a fifth of the flow thread's allocation on the reference workload (10 k
     * TLS flows presenting a few certificates); the bytes are those of {@link #writeValue} of
     * {@link TlsInfo#asMap}.
     */
    private void writeTls(TlsInfo t) throws IOException {
        if (t == null) {
            json.writeNull();
            return;
        }
        json.writeStartObject();
        for (int k = 0; k < TLS_NAMES.length; k++) {
            json.writeFieldName(TLS_NAMES[k]);
            Object v = t.field(k);
            if (v instanceof List<?> chain) {
                json.writeStartArray();
                for (int c = 0; c < chain.size(); c++) {
                    json.writeRawValue(certificateJson((CertificateInfo) chain.get(c)));
                }
                json.writeEndArray();
            } else if (!writeScalar(v)) {
                writeValue(v);
            }
        }
        json.writeEndObject();
    }

    private static final SerializedString[] TLS_NAMES = TlsInfo.FIELDS.stream().map(SerializedString::new)
            .toArray(SerializedString[]::new);
    /**
     * Certificates seen and their JSON text (the same certificate objects come back for every flow
     * that presents them), kept as a {@link SerializedString}: its UTF-8 bytes are made once and
     * copied as they are. Measured reason: written from a {@code String}, every certificate of every
     * TLS flow was turned into chars and encoded to UTF-8 again.
     */
    private final Map<CertificateInfo, SerializedString> certificateJson = new IdentityHashMap<>();

    /**
     * Each distinct reason's JSON text, made once and copied as it is for every flow with that reason
     * (565 distinct ones for the reference workload's 50,000 flows, 190 characters on average; most
     * are the same object again, whose hash the string keeps, and those with a note added per flow
     * are equal texts). Measured reason (perf, reference workload): Jackson's escaping of strings character by
     * character was 13% of the flow thread's CPU samples, the reasons most of it; cached, the flow
     * thread's share of the process's samples went from 24.8% to 23.3% (3 runs each), the wall time
     * within the noise (paired 0.980 and 1.008, 10 rounds each way). Keyed by the reason's object at
     * first, the cache filled with one entry per flow where a note is added to each flow's reason
     * (10,000 SYN-only flows, "no payload was seen"): 41 MB more heap and 0.36-0.44 s instead of
     * 0.34 s; keyed by the text, as here, 87 MB and 0.32-0.33 s, as before the cache. At most
     * {@link #REASONS} are kept; others are written as before.
     */
    private final Map<String, SerializedString> reasonJson = new java.util.HashMap<>();
    private static final int REASONS = 4096;

    private void writeReason(String reason) throws IOException {
        if (reason == null) {
            json.writeNull();
            return;
        }
        SerializedString s = reasonJson.get(reason);
        if (s == null) {
            if (reasonJson.size() >= REASONS) {
                json.writeString(reason);
                return;
            }
            if (scratch == null) { // one generator for every reason (a new one per reason took 10 KB of buffers)
                scratchText = new StringWriter();
                scratch = FACTORY.createGenerator(scratchText);
                scratch.setCharacterEscapes(new HtmlSafeEscapes());
                scratch.setRootValueSeparator(null);
            }
            scratchText.getBuffer().setLength(0);
            scratch.writeString(reason);
            scratch.flush();
            s = new SerializedString(scratchText.toString());
            reasonJson.put(reason, s);
        }
        json.writeRawValue(s);
    }

    private StringWriter scratchText;
    private JsonGenerator scratch;

    private SerializedString certificateJson(CertificateInfo c) throws IOException {
        SerializedString s = certificateJson.get(c);
        if (s == null) {
            StringWriter w = new StringWriter();
            JsonLinesReport one = new JsonLinesReport(FACTORY.createGenerator(w));
            one.writeValue(c.asMap());
            one.json.flush();
            s = new SerializedString(w.toString());
            if (certificateJson.size() < 1024) {
                certificateJson.put(c, s);
            }
        }
        return s;
    }

    private void writeValue(Object v) throws IOException {
        if (writeScalar(v)) {
            return;
        }
        if (v instanceof java.util.Map<?, ?> m) {
            json.writeStartObject();
            for (java.util.Map.Entry<?, ?> e : m.entrySet()) {
                json.writeFieldName(String.valueOf(e.getKey()));
                writeValue(e.getValue());
            }
            json.writeEndObject();
        } else if (v instanceof java.util.List<?> l) {
            json.writeStartArray();
            for (int i = 0; i < l.size(); i++) { // indexed: no iterator per list and flow (the role lists)
                writeValue(l.get(i));
            }
            json.writeEndArray();
        } else if (v instanceof Collection<?> c) {
            json.writeStartArray();
            for (Object o : c) {
                writeValue(o);
            }
            json.writeEndArray();
        } else {
            json.writeString(v.toString());
        }
    }

    @Override
    public void finish(RunSummary summary) throws IOException {
        if (written > 0) {
            json.writeRaw('\n');
        }
        json.flush();
    }

    /** Escapes HTML-significant characters as \\uXXXX in addition to JSON's own (every JSON-lines writer uses it). */
    public static final class HtmlSafeEscapes extends CharacterEscapes {
        private static final long serialVersionUID = 1L;
        private final int[] escapes;

        public HtmlSafeEscapes() {
            escapes = CharacterEscapes.standardAsciiEscapesForJSON();
            escapes['<'] = CharacterEscapes.ESCAPE_STANDARD;
            escapes['>'] = CharacterEscapes.ESCAPE_STANDARD;
            escapes['&'] = CharacterEscapes.ESCAPE_STANDARD;
            escapes['\''] = CharacterEscapes.ESCAPE_STANDARD;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return escapes;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return null;
        }
    }
}
