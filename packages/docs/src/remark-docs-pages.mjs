// Makes docs/*.md, written for GitHub, read well on the site:
// - drops the page's leading `# Heading` (Starlight renders `title:` as the heading);
// - rewrites links between pages (`examples.md#x`) to site routes (`../examples/#x`).

const PAGE_LINK = /^(?:\.\/)?([\w-]+)\.md(#.*)?$/;

function rewriteLinks(node) {
  if (node.type === 'link' || node.type === 'definition') {
    const match = PAGE_LINK.exec(node.url);
    if (match) node.url = `../${match[1]}/${match[2] ?? ''}`;
  }
  for (const child of node.children ?? []) rewriteLinks(child);
}

export function remarkDocsPages() {
  return (tree) => {
    const first = tree.children.findIndex((node) => node.type !== 'yaml');
    if (first >= 0 && tree.children[first].type === 'heading' && tree.children[first].depth === 1) {
      tree.children.splice(first, 1);
    }
    rewriteLinks(tree);
  };
}
