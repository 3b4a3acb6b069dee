/** Keyhold's own version. */
export const KEYHOLD_VERSION = "0.1.0";

/** The cPanel & WHM release whose API behaviour Keyhold reproduces (reference §0). */
export const WHM_COMPATIBLE_VERSION = "11.120.0.16";
