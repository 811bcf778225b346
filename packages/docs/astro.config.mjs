// The Ironstar documentation site. Its pages are the repository's docs/*.md, read in
// place by the content loader in src/content.config.ts: one source of truth, no copies.
import starlight from '@astrojs/starlight';
import { defineConfig } from 'astro/config';
import { remarkDocsPages } from './src/remark-docs-pages.mjs';

export default defineConfig({
  // The site has no landing page of its own; the architecture page is the way in.
  redirects: { '/': '/architecture/' },
  markdown: { remarkPlugins: [remarkDocsPages] },
  integrations: [
    starlight({
      title: 'Ironstar',
      description: 'Reactive, event-sourced, hypermedia web applications with Python and Datastar.',
      sidebar: [
        {
          label: 'Guide',
          items: [
            'architecture',
            'examples',
            'event-log',
            'analytics',
            'frontend',
            'security',
            'template',
          ],
        },
        { label: 'Reference', items: ['event-sourcing', 'benchmarks'] },
      ],
    }),
  ],
});
