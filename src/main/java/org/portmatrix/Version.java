package org.portmatrix;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * portmatrix's version, and the git commit it was built from, as Maven wrote them into {@code version.properties} at
 * the build (the commit by git-commit-id-maven-plugin; absent when the build had no {@code .git}).
 */
public final class Version {
    private static final Properties PROPERTIES = read();
    private static final String VERSION = value("version");
    private static final String COMMIT = value("commit");
    private static final boolean DIRTY = "true".equals(value("dirty"));

    private Version() {}

    /** The version ("0.1.0-SNAPSHOT"), or "unknown" for classes not built by Maven. */
    public static String get() {
        return VERSION == null ? "unknown" : VERSION;
    }

    /**
     * The version and the build's commit, as the version command and the HTML page's footer say them:
     * "0.1.0-SNAPSHOT, commit 0e224d6", "..., commit 0e224d6 with uncommitted changes" (the working tree had changes
     * the commit does not hold), or the version alone when the commit is not known.
     */
    public static String describe() {
        if (COMMIT == null) {
            return get();
        }
        return get() + ", commit " + COMMIT + (DIRTY ? " with uncommitted changes" : "");
    }

    private static String value(String key) {
        String v = PROPERTIES.getProperty(key);
        return v == null || v.isEmpty() || v.startsWith("${") ? null : v; // "${...}": not filtered, or the property not set
    }

    private static Properties read() {
        Properties p = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // the version is then "unknown"
        }
        return p;
    }
}
