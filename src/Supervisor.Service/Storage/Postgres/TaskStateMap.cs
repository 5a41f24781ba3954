using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Supervisor.Service.Tasks;

namespace Supervisor.Service.Storage.Postgres;

/// <summary>Maps the saga and its record to the tables created by Storage/Postgres/Migrations.</summary>
static class TaskStateMap
{
    public static void Apply(ModelBuilder model)
    {
        var task = model.Entity<TaskState>();
        task.ToTable("tasks");
        task.HasKey(t => t.CorrelationId);
        task.Property(t => t.CorrelationId).HasColumnName("id").ValueGeneratedNever();
        task.Property(t => t.CurrentState).HasColumnName("state");
        task.Property(t => t.Prompt).HasColumnName("prompt");
        task.Property(t => t.Agents).HasColumnName("agents");
        task.Property(t => t.ChainIndex).HasColumnName("chain_index");
        task.Property(t => t.Pass).HasColumnName("pass");
        task.Property(t => t.AttemptCount).HasColumnName("attempt_count");
        task.Property(t => t.RepositoryPath).HasColumnName("repository_path");
        task.Property(t => t.RepositoryUrl).HasColumnName("repository_url");
        task.Property(t => t.BaseRef).HasColumnName("base_ref");
        task.Property(t => t.PushTo).HasColumnName("push_to");
        task.Property(t => t.OpenPullRequest).HasColumnName("open_pull_request");
        task.Property(t => t.PullRequestTitle).HasColumnName("pull_request_title");
        task.Property(t => t.PullRequestBody).HasColumnName("pull_request_body");
        task.Property(t => t.Risk).HasColumnName("risk");
        task.Property(t => t.TimeoutSeconds).HasColumnName("timeout_seconds");
        task.Property(t => t.Verify).HasColumnName("verify");
        task.Property(t => t.ExpectChanges).HasColumnName("expect_changes");
        task.Property(t => t.Labels).HasColumnName("labels").HasColumnType("jsonb")
            .HasConversion(
                v => JsonSerializer.Serialize(v, JsonSerializerOptions.Default),
                v => JsonSerializer.Deserialize<Dictionary<string, string>>(v, JsonSerializerOptions.Default) ?? new Dictionary<string, string>(StringComparer.Ordinal),
                new Microsoft.EntityFrameworkCore.ChangeTracking.ValueComparer<Dictionary<string, string>>(
                    (a, b) => a!.Count == b!.Count && !a.Except(b).Any(),
                    v => v.Aggregate(0, (h, kv) => HashCode.Combine(h, kv.Key, kv.Value)),
                    v => new Dictionary<string, string>(v, StringComparer.Ordinal)));
        task.Property(t => t.SubmittedBy).HasColumnName("submitted_by");
        task.Property(t => t.CreatedAt).HasColumnName("created_at");
        task.Property(t => t.UpdatedAt).HasColumnName("updated_at");
        task.Property(t => t.FinishedAt).HasColumnName("finished_at");
        task.Property(t => t.Error).HasColumnName("error");
        task.Property(t => t.ResultAgent).HasColumnName("result_agent");
        task.Property(t => t.ResultBranch).HasColumnName("result_branch");
        task.Property(t => t.ResultCommit).HasColumnName("result_commit");
        task.Property(t => t.ResultDiffStat).HasColumnName("result_diff_stat");
        task.Property(t => t.ResultSummary).HasColumnName("result_summary");
        task.Property(t => t.ResultRemote).HasColumnName("result_remote");
        task.Property(t => t.ResultLink).HasColumnName("result_link");
        task.Property(t => t.ResultPullRequest).HasColumnName("result_pull_request");
        task.Property(t => t.PausedFrom).HasColumnName("paused_from");
        task.Property(t => t.DispatchOnResume).HasColumnName("dispatch_on_resume");
        task.Property(t => t.ApprovalTimeoutTokenId).HasColumnName("approval_timeout_token");
        task.Property(t => t.RunAt).HasColumnName("run_at");
        task.Property(t => t.Model).HasColumnName("model");
        task.Property(t => t.RunAtTokenId).HasColumnName("run_at_token");
        task.Property(t => t.LastSendingMessageId).HasColumnName("last_sending_message");
        task.Property(t => t.LeaseId).HasColumnName("lease_id");
        task.Property(t => t.LeaseClaim).HasColumnName("lease_claim");
        task.Property(t => t.LeaseExpiresAt).HasColumnName("lease_expires_at");
        task.Property(t => t.StartAllowedAt).HasColumnName("start_allowed_at");
        task.Property(t => t.OnLimit).HasColumnName("on_limit");
        task.Property(t => t.MaxWaitSeconds).HasColumnName("max_wait_seconds");
        task.Property(t => t.MaxWindows).HasColumnName("max_windows");
        task.Property(t => t.LeaseAccount).HasColumnName("lease_account");
        task.Property(t => t.HoldAccount).HasColumnName("hold_account");
        task.Property(t => t.HoldReason).HasColumnName("hold_reason");
        task.Property(t => t.HoldUntil).HasColumnName("hold_until");
        task.Property(t => t.HoldDeadline).HasColumnName("hold_deadline");
        task.Property(t => t.HoldMessage).HasColumnName("hold_message");
        task.Property(t => t.WaitSince).HasColumnName("wait_since");
        task.Property(t => t.WaitWindows).HasColumnName("wait_windows");
        task.Property(t => t.WaitWindowSince).HasColumnName("wait_window_since");
        task.Property(t => t.TurnPass).HasColumnName("turn_pass");
        task.Property(t => t.ConcurrencyKey).HasColumnName("concurrency_key");
        task.Property(t => t.ConcurrencyLimit).HasColumnName("concurrency_limit");
        task.Property(t => t.ConcurrencyStrategy).HasColumnName("concurrency_strategy");
        task.Property(t => t.MaxCostUsd).HasColumnName("max_cost_usd");
        task.Property(t => t.MaxTokens).HasColumnName("max_tokens");
        task.Property(t => t.OnBudget).HasColumnName("on_budget");
        task.Property(t => t.BudgetHeld).HasColumnName("budget_held");
        task.Ignore(t => t.LeavingForLimit);
        task.Ignore(t => t.StartAnswer);
        task.Ignore(t => t.StartDecision);
        task.Ignore(t => t.KeyVerdict);
        task.Ignore(t => t.LostAttempt);
        task.Ignore(t => t.CurrentAgent);
        task.Ignore(t => t.Decision);

        task.HasMany(t => t.Attempts).WithOne().HasForeignKey(a => a.TaskId);
        task.HasMany(t => t.Transitions).WithOne().HasForeignKey(t => t.TaskId);

        var attempt = model.Entity<TaskAttempt>();
        attempt.ToTable("task_attempts");
        attempt.HasKey(a => a.Id);
        attempt.Property(a => a.Id).HasColumnName("id").ValueGeneratedNever();
        attempt.Property(a => a.TaskId).HasColumnName("task_id");
        attempt.Property(a => a.Number).HasColumnName("number");
        attempt.Property(a => a.Pass).HasColumnName("pass");
        attempt.Property(a => a.Agent).HasColumnName("agent");
        attempt.Property(a => a.Worker).HasColumnName("worker");
        attempt.Property(a => a.Host).HasColumnName("host");
        attempt.Property(a => a.Redelivery).HasColumnName("redelivery");
        attempt.Property(a => a.Branch).HasColumnName("branch");
        attempt.Property(a => a.Model).HasColumnName("model");
        attempt.Property(a => a.Account).HasColumnName("account");
        attempt.Property(a => a.StartedAt).HasColumnName("started_at");
        attempt.Property(a => a.FinishedAt).HasColumnName("finished_at");
        attempt.Property(a => a.ExitCode).HasColumnName("exit_code");
        attempt.Property(a => a.ErrorClass).HasColumnName("error_class");
        attempt.Property(a => a.Message).HasColumnName("message");
        attempt.Property(a => a.NextRetryAt).HasColumnName("next_retry_at");
        attempt.Property(a => a.OutputChunks).HasColumnName("output_chunks");
        attempt.Property(a => a.InputTokens).HasColumnName("input_tokens");
        attempt.Property(a => a.OutputTokens).HasColumnName("output_tokens");
        attempt.Property(a => a.CostUsd).HasColumnName("cost_usd");

        var transition = model.Entity<TaskTransition>();
        transition.ToTable("task_transitions");
        transition.HasKey(t => t.Id);
        transition.Property(t => t.Id).HasColumnName("id").ValueGeneratedOnAdd();
        transition.Property(t => t.TaskId).HasColumnName("task_id");
        transition.Property(t => t.From).HasColumnName("from_state");
        transition.Property(t => t.To).HasColumnName("to_state");
        transition.Property(t => t.Event).HasColumnName("event");
        transition.Property(t => t.At).HasColumnName("at");
        transition.Property(t => t.By).HasColumnName("by");
        transition.Property(t => t.Reason).HasColumnName("reason");
    }
}
