import { dirname } from 'node:path';
import express, { type Router } from 'express';

// The package's folder, without loading its entry (which pulls in the whole 1.4 MB bundle).
const ASSETS = dirname(require.resolve('swagger-ui-dist/package.json'));

const INITIALIZER = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '/v1/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout'
  });
};
`;

/** `/docs`: Swagger UI from swagger-ui-dist, pointed at this gateway's OpenAPI document. Public. */
export function docsRouter(): Router {
  const router = express.Router({ strict: true });
  router.get('/docs', (_req, res) => res.redirect(301, '/docs/'));
  router.get('/docs/swagger-initializer.js', (_req, res) => {
    res.type('application/javascript').send(INITIALIZER);
  });
  router.use('/docs', express.static(ASSETS, { index: 'index.html', fallthrough: true, maxAge: '1h' }));
  return router;
}
