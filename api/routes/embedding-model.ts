/**
 * The tenant's embedding model, mounted at /api/embedding-model: which model indexes and searches
 * the tenant now, the latest switch and its progress, start a switch, cancel it. A switch is a
 * Temporal workflow (workflows/model-switch.ts) that builds a new collection beside the one that
 * keeps serving search; the tenant comes from the credentials, so there is no id to guess.
 */
import {
  EmbeddingModelStateSchema,
  ModelSwitchCancelResponseSchema,
  ModelSwitchRequestSchema,
  ModelSwitchViewSchema,
  type EmbeddingModelState,
  type ModelSwitchView,
} from '../../core/contracts.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { createRouter, errorResponse, jsonResponse, tenantRoute } from '../openapi.js';
import { startingProgress, type ModelSwitchProgress } from '../../workflows/model-switch.js';

const tags = ['embedding model'];

const getEmbeddingModel = tenantRoute({
  method: 'get',
  path: '/',
  operationId: 'getEmbeddingModel',
  summary: "The tenant's embedding model and its latest switch",
  description: 'The model the tenant is indexed and searched with, the models it may switch to, and the latest switch (live progress while it runs).',
  tags,
  responses: { 200: jsonResponse(EmbeddingModelStateSchema, 'The model and the latest switch.') },
});

const startModelSwitch = tenantRoute({
  method: 'post',
  path: '/',
  operationId: 'switchEmbeddingModel',
  summary: 'Move the tenant to another embedding model, without downtime',
  description:
    "Starts a long-running switch: every indexed document's chunks are embedded again with `model` into a new collection while the current one keeps answering searches; new uploads are written to both. Once the new collection is complete and verified, search moves to it in one step and the old collection is dropped later. If any document cannot be embedded by the new model, or the switch is cancelled, the tenant stays on its current model. Follow it with GET /api/embedding-model.",
  tags,
  request: { body: { required: true, content: { 'application/json': { schema: ModelSwitchRequestSchema } } } },
  responses: {
    202: jsonResponse(ModelSwitchViewSchema, 'The switch started.'),
    400: errorResponse('Not a configured model (unknown_model), or the one in use already (same_model).'),
    409: errorResponse('A switch of this tenant is already running.'),
    415: errorResponse('The body is not application/json.'),
  },
});

const cancelModelSwitch = tenantRoute({
  method: 'post',
  path: '/cancel',
  operationId: 'cancelModelSwitch',
  summary: 'Cancel the running switch',
  description: 'Before the swap the tenant stays on its current model and the new collection is dropped; after it, only the clean-up of the old collection is brought forward.',
  tags,
  responses: {
    202: jsonResponse(ModelSwitchCancelResponseSchema, 'Cancellation was requested.'),
    409: errorResponse('No switch of this tenant is running.'),
  },
});

/** The contract's view of a switch's progress (the workflow's state, less what the caller knows already). */
function switchView(workflowId: string, progress: ModelSwitchProgress): ModelSwitchView {
  const { model, previousModel, generation, phase, documents, copied, verifyPasses, repaired, swapped, failed, error } = progress;
  return { workflowId, model, previousModel, generation, phase, documents, copied, verifyPasses, repaired, swapped, failed, error };
}

export function embeddingModelRoutes(deps: ApiDeps) {
  const view = async (tenantId: string): Promise<ModelSwitchView | null> => {
    const run = await deps.temporal.modelSwitch(tenantId);
    return run && switchView(run.workflowId, run);
  };
  return createRouter()
    .openapi(getEmbeddingModel, async (c) => {
      const tenantId = c.get('tenantId');
      const [active, latest] = await Promise.all([deps.spaces.active(tenantId), view(tenantId)]);
      const state: EmbeddingModelState = { model: active.model, generation: active.generation, models: [...deps.spaces.models.names], switch: latest };
      return c.json(state, 200);
    })
    .openapi(startModelSwitch, async (c) => {
      const tenantId = c.get('tenantId');
      const { model } = c.req.valid('json');
      // Checked here so a mistake is a 400 at once, not a failed workflow; the workflow checks again.
      if (!deps.spaces.models.names.includes(model))
        throw new ApiError(400, 'unknown_model', `${model} is not a configured embedding model; available: ${deps.spaces.models.names.join(', ')}`);
      const active = await deps.spaces.active(tenantId);
      if (active.model === model) throw new ApiError(400, 'same_model', `the tenant already uses ${model}`);
      const workflowId = await deps.temporal.startModelSwitch(tenantId, model);
      if (!workflowId) throw new ApiError(409, 'switch_running', 'A switch of this tenant is already running; cancel it or wait for it to end.');
      // Its first state, without waiting for a worker to answer a query.
      const started = switchView(workflowId, startingProgress(tenantId, model, active.model));
      return c.json(started, 202);
    })
    .openapi(cancelModelSwitch, async (c) => {
      if (!(await deps.temporal.cancelModelSwitch(c.get('tenantId')))) throw new ApiError(409, 'not_running', 'No switch of this tenant is running.');
      return c.json({ cancelling: true as const }, 202);
    });
}
