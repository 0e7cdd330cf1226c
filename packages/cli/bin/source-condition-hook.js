// Module resolution hook: resolve @cosi-ts/* packages to their TypeScript source (the
// "@cosi-ts/source" export condition), as tests and `npm run bench` do with --conditions.
export async function resolve(specifier, context, next) {
  return next(specifier, { ...context, conditions: [...context.conditions, '@cosi-ts/source'] });
}
