import { z } from 'zod';
import { defineCommand, defineQuery } from '../messages';
import { DocumentFormat, DocumentHit, DocumentView, SectionView, TocNode, VaultId } from './schemas';

// Ingested documents: parsed into sections by heading, searched by section.

const DocumentId = z.string().min(1).max(100);

export const documentIngest = defineCommand({
  domain: 'memory', name: 'document_ingest', description: 'Ingest a document (markdown, plain text, HTML or PDF)',
  request: z.object({
    name: z.string().trim().min(1).max(500).describe('File name; its extension names the format when `format` is absent'),
    title: z.string().trim().min(1).max(500).optional(),
    format: DocumentFormat.optional(),
    content: z.string().optional().describe('The text of a markdown, plain-text or HTML document'),
    content_base64: z.string().optional().describe('The bytes of the document, base64 (PDF)'),
  }),
  reply: DocumentView,
});

export const transcriptIngest = defineCommand({
  domain: 'memory', name: 'transcript_ingest', description: 'Store a meeting transcript as a document; with an agent, one memory per section of it',
  request: z.object({
    title: z.string().trim().min(1).max(500),
    transcript: z.string().min(1),
    agent_id: VaultId.optional().describe('Turn the transcript into memories of this agent'),
  }),
  reply: z.object({ document: DocumentView, memories: z.array(z.string()) }),
});

export const documentList = defineQuery({
  domain: 'memory', name: 'documents', description: 'Ingested documents, newest first',
  request: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
  reply: z.object({ documents: z.array(DocumentView) }),
});

export const documentToc = defineQuery({
  domain: 'memory', name: 'document_toc', description: 'A document\'s headings as a tree',
  request: z.object({ id: DocumentId }),
  reply: z.object({ document: DocumentView, toc: z.array(TocNode) }),
});

export const documentSection = defineQuery({
  domain: 'memory', name: 'document_section', description: 'One section of a document, by heading path or id',
  request: z.object({
    id: DocumentId,
    path: z.string().max(2000).optional().describe('Headings from the top, joined by " > " (or "/")'),
    section_id: z.string().max(100).optional(),
  }),
  reply: SectionView,
});

export const documentDelete = defineCommand({
  domain: 'memory', name: 'document_delete', description: 'Delete an ingested document',
  request: z.object({ id: DocumentId }), reply: z.object({ id: z.string(), deleted: z.boolean() }),
});

export const documentSearch = defineQuery({
  domain: 'memory', name: 'document_search', description: 'Hybrid search (full-text with typo correction, and vectors with a provider) across document sections',
  request: z.object({
    query: z.string().trim().min(1).max(1000).optional(),
    q: z.string().trim().min(1).max(1000).optional(),
    document_id: DocumentId.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(10),
  }),
  reply: z.object({
    query: z.string(), mode: z.enum(['hybrid', 'text']).optional(), corrections: z.record(z.string(), z.array(z.string())), results: z.array(DocumentHit),
  }),
});

export const documentGet = defineQuery({
  domain: 'memory', name: 'document_get', description: 'One ingested document (its status while it is parsed as a job)',
  request: z.object({ id: DocumentId }), reply: DocumentView,
});
