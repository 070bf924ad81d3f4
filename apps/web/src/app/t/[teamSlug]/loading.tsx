import { Spinner } from "@/components/ui";

export default function Loading() {
  return <Spinner />;
}
