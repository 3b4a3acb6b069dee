/** Time as a collaborator, so expiry and lockout windows can be tested without waiting. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = {
  now(): number {
    return Date.now();
  },
};

export function epochSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}
