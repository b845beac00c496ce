/**
 * `POST /cds-services/{id}/feedback`: each item stored, linked to its card's invocation, before the
 * 200. A known card must be this service's, an accepted suggestion one of its (feedback.ts).
 */
import type { Hono } from 'hono';
import type { AuthEnv } from '../auth/middleware.ts';
import { checkFeedbackBelongs, parseFeedback } from './feedback.ts';
import { metaOf, type Routes, serviceOf } from './routes.ts';

export function feedbackRoute(app: Hono<AuthEnv>, routes: Routes): void {
  app.post('/cds-services/:id/feedback', routes.limit, async (c) => {
    const serviceId = serviceOf(routes, c.req.param('id')).id;
    const items = parseFeedback(await routes.readJson(c.req.raw), { maxItems: routes.config.feedbackMaxItems, maxText: routes.config.feedbackMaxText });
    const known = await routes.store.findCards(items.map((item) => item.card));
    checkFeedbackBelongs(items, serviceId, known);
    const receivedAt = routes.call.now().getTime();
    const client = metaOf(c).client ?? null;
    const result = await routes.store.recordFeedback(
      items.map((item) => ({
        receivedAt,
        serviceId,
        cardUuid: item.card,
        outcome: item.outcome,
        acceptedSuggestions: item.acceptedSuggestions?.map((s) => s.id) ?? null,
        overrideReasonSystem: item.overrideReason?.reason?.system ?? null,
        overrideReasonCode: item.overrideReason?.reason?.code ?? null,
        overrideReasonDisplay: item.overrideReason?.reason?.display ?? null,
        overrideComment: item.overrideReason?.userComment ?? null,
        outcomeTimestamp: item.outcomeTimestamp,
        client,
      })),
      known,
    );
    routes.log.info('feedback', { service: serviceId, items: result.stored, unknownCards: result.unknownCards });
    return c.json({ stored: result.stored, unknownCards: result.unknownCards }, 200);
  });
}
