export interface Event { key: number; value: number }
export declare const toEvent: (i: number) => Event;
export declare const keep: (e: Event) => boolean;
