import { z } from 'zod';
import { ConfigError, env, loadConfig, loadSharedConfig } from '@cadre/config';

describe('config', () => {
  it('parses, applies defaults and freezes', () => {
    const config = loadConfig({ PORT: env.port(8000), AUTH_ENABLED: env.boolean(true), NAME: z.string().default('x') }, { PORT: '9000', AUTH_ENABLED: 'off' });
    expect(config).toEqual({ PORT: 9000, AUTH_ENABLED: false, NAME: 'x' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('fails fast naming every bad variable', () => {
    try {
      loadConfig({ PORT: env.port(8000), AUTH_ENABLED: env.boolean(true), KEY: z.string() }, { PORT: 'eighty', AUTH_ENABLED: 'maybe' });
      throw new Error('should have failed');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toContain('PORT');
      expect(message).toContain('AUTH_ENABLED');
      expect(message).toContain('KEY');
    }
  });

  it('treats an empty variable as unset', () => {
    expect(loadSharedConfig({ DATABASE_URL: '', LOG_LEVEL: '' })).toMatchObject({ DATABASE_URL: undefined, LOG_LEVEL: 'info' });
  });

  it('rejects a malformed DATABASE_URL', () => {
    expect(() => loadSharedConfig({ DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL/);
  });
});
