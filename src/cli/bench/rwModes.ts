/** The workloads of `rxbridge bench`, as fio names them. */
export type RwMode = 'read' | 'write' | 'randread' | 'randwrite' | 'randrw';
export const RW_MODES: readonly RwMode[] = ['read', 'write', 'randread', 'randwrite', 'randrw'];
