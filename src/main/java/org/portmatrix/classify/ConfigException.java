package org.portmatrix.classify;

/** A catalog or topology file that cannot be used: names the file, the line and what is wrong. */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConfigException(String file, int line, String message) {
        super(file + (line > 0 ? ":" + line : "") + ": " + message);
    }

    /**
     * A file that could not be read: why, as a capture says it ("not readable (permission denied)").
     * The JDK's exceptions for a refused open carry the file's name as their whole message, which
     * had made "X: cannot read: X".
     */
    public static ConfigException unreadable(String file, java.io.IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return new ConfigException(file, 0, "not readable (permission denied)");
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return new ConfigException(file, 0, "no such file");
        }
        String why = e instanceof java.nio.file.FileSystemException f ? f.getReason() : e.getMessage();
        return new ConfigException(file, 0, "cannot read: " + (why != null ? why : e.getClass().getSimpleName()));
    }
}
