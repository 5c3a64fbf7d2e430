/** What `npm start` prints once Cadre answers: where it is and what to do first. */
export function startBanner(url: string, options: {
  readonly database: string; readonly bus: string; readonly dataDir?: string; readonly host?: string; readonly setupToken?: string;
}): string {
  const open = options.host !== undefined && !/^(127\.|localhost$|::1$)/.test(options.host);
  const token = options.setupToken !== undefined ? `,"setup_token":"${options.setupToken}"` : '';
  const lines = [
    '',
    `  Cadre is running on ${url}`,
    open
      ? `    listening on ${options.host} (HOST): reachable from other machines`
      : '    listening on this machine only (set HOST=0.0.0.0 to open it to the network)',
    `    database: ${options.database}`,
    `    bus:      ${options.bus}`,
    ...(options.dataDir ? [`    data:     ${options.dataDir} (kept across restarts)`] : []),
    '',
    `  Open the dashboard: ${url}/ (it creates the admin account on a fresh install), or with curl:`,
    '',
    '  First, create the admin account (only while no user exists):',
    ...(options.setupToken !== undefined ? [`    (open to the network: setup needs this one-time token: ${options.setupToken})`] : []),
    `    curl -X POST ${url}/v1/auth/setup -H 'content-type: application/json' \\`,
    `      -d '{"email":"admin@example.com","password":"a long password","name":"Admin"${token}}'`,
    '  Then sign in, and try the demo pipeline:',
    `    curl -X POST ${url}/v1/auth/login -H 'content-type: application/json' -d '{"email":"admin@example.com","password":"a long password"}'`,
    `    curl -X POST ${url}/v1/runs -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"pipeline_id":"demo","task_description":"Say hello"}'`,
    `  API docs: ${url}/docs   Stop: Ctrl-C`,
    '',
  ];
  return lines.join('\n');
}
