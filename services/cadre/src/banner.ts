/** What `npm start` prints once Cadre answers: where it is and what to do first. */
export function startBanner(url: string, options: { readonly database: string; readonly bus: string; readonly dataDir?: string }): string {
  const lines = [
    '',
    `  Cadre is running on ${url}`,
    `    database: ${options.database}`,
    `    bus:      ${options.bus}`,
    ...(options.dataDir ? [`    data:     ${options.dataDir} (kept across restarts)`] : []),
    '',
    '  First, create the admin account (only while no user exists):',
    `    curl -X POST ${url}/v1/auth/setup -H 'content-type: application/json' \\`,
    `      -d '{"email":"admin@example.com","password":"a long password","name":"Admin"}'`,
    '  Then sign in, and try the demo pipeline:',
    `    curl -X POST ${url}/v1/auth/login -H 'content-type: application/json' -d '{"email":"admin@example.com","password":"a long password"}'`,
    `    curl -X POST ${url}/v1/runs -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"pipeline_id":"demo","task_description":"Say hello"}'`,
    `  API docs: ${url}/docs   Stop: Ctrl-C`,
    '',
  ];
  return lines.join('\n');
}
