export declare const CLICK_USERS: number;
export declare function writeClickFile(file: string, n: number): void;
export declare function clickPlainLoop(file: string, outFile: string): number;
export declare function readUserCounts(where: string): Map<string, number>;
