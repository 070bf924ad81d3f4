"use client";
import { WorkflowEditor } from "../../workflow-editor";
import { WorkflowFrame } from "../../workflow-frame";

export function EditWorkflow({ workflowId }: { workflowId: string }) {
  return (
    <WorkflowFrame workflowId={workflowId}>
      {(workflow) => (
        // Keyed by workflow: saving keeps the editor (and its "saved" notice) as it is.
        <WorkflowEditor
          key={workflow.id}
          workflowId={workflow.id}
          initialSource={workflow.latestRevision?.source ?? ""}
        />
      )}
    </WorkflowFrame>
  );
}
