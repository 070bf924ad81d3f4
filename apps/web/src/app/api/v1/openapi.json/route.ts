import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { buildOpenApiDocument } from "@/server/api/openapi";
import { publicApiRoute } from "@/server/api/public-api-route";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = publicApiRoute(endpoints.openapi, async ({ baseUrl }) => ({
  status: 200,
  body: buildOpenApiDocument({ serverUrl: baseUrl }),
}));
