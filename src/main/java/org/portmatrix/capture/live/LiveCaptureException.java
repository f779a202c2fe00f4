package org.portmatrix.capture.live;

import java.io.IOException;

/**
 * A live capture that cannot start or cannot go on: a missing interface, no permission, a bad
 * filter, a missing libpcap. The message is one line for the user, naming the interface.
 */
public final class LiveCaptureException extends IOException {
    private static final long serialVersionUID = 1L;

    public LiveCaptureException(String message) {
        super(message);
    }
}
