import Link from "next/link";
import { AuthCard } from "@/components/auth-card";

export default function NotFound() {
  return (
    <AuthCard title="Not found" subtitle="This page does not exist, or you do not have access to it.">
      <Link href="/" className="text-sm font-medium text-sky-700 underline">
        Back to Capstan
      </Link>
    </AuthCard>
  );
}
