import type { Aggregate } from '../command';
import { evolveDirectory, initialDirectory, type DirectoryState } from './directory';

export const directoryAggregate: Aggregate<DirectoryState> = { initial: initialDirectory, evolve: evolveDirectory };
