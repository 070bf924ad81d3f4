import type { Metadata } from "next";
import { MemberList } from "./member-list";

export const metadata: Metadata = { title: "Team" };

export default function TeamPage() {
  return <MemberList />;
}
