/** Time as a collaborator, so expiry and lockout windows can be tested without waiting. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = {
  now(): number {
    return Date.now();
  },
};

/** Keyhold keeps epoch milliseconds; WHM and the REST API speak Unix seconds. */
export function epochSeconds(ms: number): number;
export function epochSeconds(ms: number | null): number | null;
export function epochSeconds(ms: number | null): number | null {
  return ms === null ? null : Math.floor(ms / 1000);
}
