using MassTransit;
using Supervisor.Contracts;

namespace Supervisor.Service.Tasks;

/// <summary>
/// A task's budget (<c>maxCostUsd</c>, <c>maxTokens</c>): the start check starts no attempt once it is spent, a worker ends
/// an attempt that spends past it (<c>BudgetExceeded</c>), and the task then stops (Failed) or parks (Paused by
/// <c>budget</c>) as its <c>onBudget</c> says. <see cref="ChangeTaskBudget"/> sets the budget; raised above what was
/// spent, it lets a task its budget held go on, on the agent it stopped on.
/// </summary>
public sealed partial class TaskStateMachine
{
    void DuringBudgets()
    {
        During([Submitted, AwaitingApproval, Dispatched, Running, RetryScheduled],
            When(ChangeTaskBudget).Then(c => c.Saga.ChangeBudget(c.Message, Now())));
        // Paused or failed by its budget: a budget above what it spent lets it go on, on the same agent.
        During(Paused, Failed,
            When(ChangeTaskBudget)
                .Then(c => c.Saga.ChangeBudget(c.Message, Now()))
                .If(c => c.Saga.ReleasedByBudget(), released => released
                    .Then(c => c.Saga.ContinueAfterBudget(c.Message))
                    .ThenAsync(DispatchAsync)
                    .TransitionTo(Dispatched)));
        DuringAny(Ignore(ChangeTaskBudget));
    }

    // The task's budget is reached (why: reason): it fails, or is paused until the budget is raised.
    EventActivityBinder<TaskState, T> HoldForBudget<T>(EventActivityBinder<TaskState, T> binder, Func<BehaviorContext<TaskState, T>, string> reason)
        where T : class =>
        binder.IfElse(c => c.Saga.ParksOnBudget(),
            park => park.Then(c => c.Saga.ParkForBudget(reason(c), Now())).TransitionTo(Paused),
            stop => stop.Then(c => c.Saga.StopForBudget(reason(c), Now())).TransitionTo(Failed));

    public Event<ChangeTaskBudget> ChangeTaskBudget { get; private set; } = null!;
}
