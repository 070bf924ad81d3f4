import { beginTwoFactorEnrolment } from "@capstan/core/two-factor/begin-two-factor-enrolment";
import { confirmTwoFactorEnrolment } from "@capstan/core/two-factor/confirm-two-factor-enrolment";
import { disableTwoFactor } from "@capstan/core/two-factor/disable-two-factor";
import { getTwoFactorStatus } from "@capstan/core/two-factor/get-two-factor-status";
import QRCode from "qrcode";
import { z } from "zod";
import { createTRPCRouter, userProcedure } from "../init";
import { keyringOf } from "../keyring-of";

// The signed-in user's own two-factor settings (no team: every team sees the same account).
const code = z.object({ code: z.string().trim().min(1, "Enter a code.").max(24) });

export const twoFactorRouter = createTRPCRouter({
  status: userProcedure.query(({ ctx }) => getTwoFactorStatus(ctx.prisma, ctx.user.id)),
  begin: userProcedure.mutation(async ({ ctx }) => {
    const enrolment = await beginTwoFactorEnrolment(ctx.prisma, await keyringOf(ctx), ctx.user);
    return { ...enrolment, qrSvg: await QRCode.toString(enrolment.uri, { type: "svg", margin: 1 }) };
  }),
  confirm: userProcedure
    .input(code)
    .mutation(async ({ ctx, input }) =>
      confirmTwoFactorEnrolment(ctx.prisma, await keyringOf(ctx), ctx.user, input),
    ),
  disable: userProcedure
    .input(code)
    .mutation(async ({ ctx, input }) => disableTwoFactor(ctx.prisma, await keyringOf(ctx), ctx.user, input)),
});
