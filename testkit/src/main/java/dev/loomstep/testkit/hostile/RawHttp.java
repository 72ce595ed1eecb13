package dev.loomstep.testkit.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP/1.1 client over a plain socket that sends exactly the bytes it is given — a method no client
 * library allows, a path with raw bad UTF-8, a Content-Length that lies — and reads one answer under a
 * deadline. A server that does not answer in time is a hang, reported as such.
 */
public final class RawHttp {
    private RawHttp() {}

    /** One answer: status, headers (lower-case names) and body. */
    public record Answer(int status, Map<String, String> headers, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** The server did not answer within the deadline. */
    public static final class Hang extends AssertionError {
        Hang(String what) {
            super(what);
        }
    }

    /**
     * Sends one request and reads its answer. {@code target} is sent as it is (path and query, already
     * encoded or deliberately not). A Content-Length header is added unless {@code headers} has one.
     */
    public static Answer send(int port, String method, byte[] target, Map<String, String> headers, byte[] body, Duration deadline)
            throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout((int) deadline.toMillis());
            OutputStream out = s.getOutputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            head.write(method.getBytes(StandardCharsets.ISO_8859_1));
            head.write(' ');
            head.write(target);
            head.write(" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".getBytes(StandardCharsets.ISO_8859_1));
            boolean hasLength = false;
            for (var h : headers.entrySet()) {
                hasLength |= h.getKey().equalsIgnoreCase("content-length");
                head.write((h.getKey() + ": " + h.getValue() + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
            if (!hasLength) {
                head.write(("Content-Length: " + body.length + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
            head.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            long start = System.nanoTime();
            try {
                out.write(head.toByteArray());
                out.write(body);
                out.flush();
            } catch (IOException e) {
                // The server may answer (413) and close before taking the whole body: read what it said.
            }
            try {
                return read(s.getInputStream());
            } catch (SocketTimeoutException e) {
                throw new Hang(method + " " + new String(target, StandardCharsets.ISO_8859_1) + " got no answer within "
                        + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms");
            }
        }
    }

    private static Answer read(InputStream in) throws IOException {
        String statusLine = line(in);
        if (statusLine == null || !statusLine.startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP answer: " + statusLine);
        }
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
            int colon = l.indexOf(':');
            if (colon > 0) {
                headers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
            }
        }
        byte[] body;
        if (headers.containsKey("content-length")) {
            body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int n = Integer.parseInt(line(in).split(";")[0].trim(), 16); n > 0; n = Integer.parseInt(line(in).split(";")[0].trim(), 16)) {
                b.write(in.readNBytes(n));
                line(in);
            }
            body = b.toByteArray();
        } else {
            body = in.readAllBytes();
        }
        return new Answer(status, headers, body);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != -1; c = in.read()) {
            if (c == '\n') {
                String s = b.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }
}
