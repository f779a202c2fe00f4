package org.portmatrix.classify;

/** How far apart two names are, for the "did you mean" of a misspelt role or option (set-up only, never per packet). */
public final class Spelling {
    private Spelling() {}

    /**
     * The optimal string alignment distance: the fewest single-character insertions, deletions,
     * substitutions and swaps of two adjacent characters that turn {@code a} into {@code b}
     * ("directr" is 1 from "director", "topolgy" 1 from "topology").
     */
    public static int distance(String a, String b) {
        int n = a.length();
        int m = b.length();
        int[][] d = new int[n + 1][m + 1];
        for (int i = 0; i <= n; i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= m; j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= n; i++) {
            for (int j = 1; j <= m; j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    v = Math.min(v, d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        return d[n][m];
    }

    /**
     * Of {@code names}, the one nearest to {@code given} ({@link #distance}) if it is at most {@code within} slips away,
     * the first of those as near; else null. For a "did you mean" (an option, a command, a hosts row's name).
     */
    public static String nearest(String given, Iterable<String> names, int within) {
        String best = null;
        int bestDistance = within + 1;
        for (String name : names) {
            int d = distance(given, name);
            if (d < bestDistance) {
                best = name;
                bestDistance = d;
            }
        }
        return best;
    }
}
