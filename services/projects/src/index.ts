export { projectsService } from './service';
export { loadProjectsConfig, projectsConfigShape, type ProjectsConfig } from './config';
export type { ProjectsContext } from './context';
