import { concatMap } from 'rxjs';
import type { Observable } from 'rxjs';

/** The events of an aggregated watch one by one; an empty batch (never allowed, §5.6) errors the stream. */
export function flattenBatches<T>(source: Observable<readonly T[]>): Observable<T> {
  return source.pipe(
    concatMap((batch) => {
      if (batch.length === 0) throw new Error('aggregated watch emitted an empty batch');
      return batch;
    }),
  );
}
