import type { RenderTemplate } from './worker.js';

/** Placeholder until the template renderer lands. */
export const renderTemplate: RenderTemplate = ({ template }) => template.text;
