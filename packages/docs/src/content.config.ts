// Starlight's "docs" collection is the repository's docs/ folder, read where it is
// (the pages stay plain Markdown that GitHub renders too; only `title:` frontmatter is
// needed). A new page appears on the site once it is listed in astro.config.mjs.
import { docsSchema } from '@astrojs/starlight/schema';
import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';

export const collections = {
  docs: defineCollection({
    loader: glob({ pattern: '*.md', base: '../../docs' }),
    schema: docsSchema(),
  }),
};
