namespace Supervisor.Service.Tasks;

/// <summary>
/// Sent by the <see cref="Reconciler"/> to the saga about a task that looks stuck: the lease <see cref="Lease"/> has
/// expired, or (with no lease) no job has started since <see cref="StartAllowedAt"/>. The saga acts only if the task is
/// still as the reconciler saw it, so that several service instances never act twice.
/// </summary>
public sealed record ReconcileTask(Guid TaskId, Guid? Lease, DateTime? StartAllowedAt, string Reason);
