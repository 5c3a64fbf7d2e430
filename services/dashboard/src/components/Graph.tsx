import cytoscape, { type Core, type ElementDefinition } from 'cytoscape';
import dagre from 'cytoscape-dagre';
import { useEffect, useRef } from 'react';

cytoscape.use(dagre);

export interface GraphNode {
  readonly id: string;
  readonly label: string;
  /** A state word; drawn as the node's colour and kept in its data. */
  readonly status?: string;
  /** A colour of its own (e.g. its community's), instead of its state's. */
  readonly color?: string;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
}

// Colours per state, each with enough contrast against the white label box.
const COLORS: Readonly<Record<string, string>> = {
  pending: '#6b7280', ready: '#7c3aed', running: '#1d4ed8', retrying: '#b45309', completed: '#15803d',
  failed: '#b91c1c', skipped: '#6b7280', cancelled: '#57534e', memory: '#0f766e', missing: '#9ca3af',
};

/**
 * A graph drawn by cytoscape (pan and zoom with mouse or touch): a DAG laid out top-down by
 * dagre, or a network by cose. Node states change in place, without a new layout. The drawing
 * is an image for sighted users; each page also lists the same data as a table or list.
 */
export function Graph({ nodes, edges, layout = 'dagre', label, onSelect }: {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  readonly layout?: 'dagre' | 'cose';
  readonly label: string;
  readonly onSelect?: (id: string) => void;
}) {
  const container = useRef<HTMLDivElement>(null);
  const cy = useRef<Core>(undefined);
  const select = useRef(onSelect);
  select.current = onSelect;
  const shape = JSON.stringify([nodes.map((n) => [n.id, n.label]), edges]);

  useEffect(() => {
    if (!container.current) return;
    const elements: ElementDefinition[] = [
      ...nodes.map((n) => ({ data: { id: n.id, label: n.label, status: n.status ?? 'pending', ...(n.color ? { color: n.color } : {}) } })),
      ...edges.filter((e) => nodes.some((n) => n.id === e.from) && nodes.some((n) => n.id === e.to))
        .map((e) => ({ data: { id: `${e.from}->${e.to}`, source: e.from, target: e.to } })),
    ];
    const instance = cytoscape({
      container: container.current,
      elements,
      style: [
        {
          selector: 'node',
          style: {
            label: 'data(label)', 'text-valign': 'center', 'text-halign': 'center', 'text-wrap': 'wrap', 'text-max-width': '120px',
            'font-size': 11, color: '#ffffff', 'background-color': (node) => (node.data('color') as string | undefined) ?? COLORS[String(node.data('status'))] ?? '#374151',
            shape: 'round-rectangle', width: 130, height: 40,
          },
        },
        { selector: 'edge', style: { width: 1.5, 'line-color': '#9ca3af', 'target-arrow-color': '#9ca3af', 'target-arrow-shape': 'triangle', 'curve-style': 'bezier' } },
        { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#f59e0b' } },
      ],
      layout: layout === 'dagre' ? ({ name: 'dagre', rankDir: 'TB', nodeSep: 20, rankSep: 40 } as cytoscape.LayoutOptions) : { name: 'cose', animate: false, randomize: false, nodeOverlap: 40, nodeRepulsion: () => 600_000, idealEdgeLength: () => 110, padding: 30, componentSpacing: 80 } as cytoscape.LayoutOptions,
    });
    // A small graph is not blown up to fill the box.
    if (instance.zoom() > 1.2) {
      instance.zoom(1.2);
      instance.center();
    }
    instance.on('tap', 'node', (event) => select.current?.(String(event.target.id())));
    cy.current = instance;
    return () => {
      instance.destroy();
      cy.current = undefined;
    };
    // Rebuilt only when the graph's shape changes; states are updated below.
  }, [shape, layout]);

  useEffect(() => {
    const instance = cy.current;
    if (!instance) return;
    for (const node of nodes) instance.getElementById(node.id).data('status', node.status ?? 'pending');
    // The drawn states, for tests and for anyone reading the page's source.
    container.current?.setAttribute('data-states', instance.nodes().map((n) => `${n.id()}=${String(n.data('status'))}`).join(' '));
  });

  return <div ref={container} className="graph" role="img" aria-label={label} />;
}
