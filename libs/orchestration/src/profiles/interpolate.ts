/** Fills `{{name}}` placeholders from the call's variables; unknown names become empty. */
export function interpolate(template: string, variables: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g, (_match, name: string) =>
    Object.prototype.hasOwnProperty.call(variables, name) ? variables[name] : '',
  );
}
