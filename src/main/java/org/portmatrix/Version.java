package org.portmatrix;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** portmatrix's version, as Maven wrote it into {@code version.properties} at the build. */
public final class Version {
    private static final String VERSION = read();

    private Version() {}

    /** The version ("0.1.0-SNAPSHOT"), or "unknown" for classes not built by Maven. */
    public static String get() {
        return VERSION;
    }

    private static String read() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown");
            return v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
