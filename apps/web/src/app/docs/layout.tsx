import type { ReactNode } from "react";
import { Logo } from "@/components/logo";

// The user guide is public: it is the repository's docs/user, readable on GitHub too.
export default function GuideLayout({ children }: { children: ReactNode }) {
  return (
    <div className="min-h-screen">
      <header className="flex items-center justify-between bg-slate-900 px-4 py-3 text-white sm:px-8">
        <a href="/" aria-label="Capstan dashboard">
          <Logo />
        </a>
        <nav aria-label="Guide" className="flex gap-4 text-sm">
          <a href="/docs" className="hover:underline">
            User guide
          </a>
          <a href="/" className="hover:underline">
            Dashboard
          </a>
        </nav>
      </header>
      <main id="main" className="mx-auto max-w-4xl px-4 py-8 sm:px-8">
        {children}
      </main>
    </div>
  );
}
