import { Observable, setHeaderOptions, type ConfigurationOptions, type ObservableMiddleware } from '@kubernetes/client-node';

/**
 * Per-request options for client-node's API calls: `signal` aborts the HTTP request itself (1.4.0
 * takes a signal only through a middleware), plus extra headers such as a patch's Content-Type.
 */
export function requestOptions(signal: AbortSignal, headers: Readonly<Record<string, string>> = {}): ConfigurationOptions<ObservableMiddleware> {
  let opts: ConfigurationOptions<ObservableMiddleware> = {
    middleware: [
      {
        pre: (request) => {
          request.setSignal(signal);
          return new Observable(Promise.resolve(request));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
  for (const [key, value] of Object.entries(headers)) opts = setHeaderOptions(key, value, opts);
  return opts;
}
