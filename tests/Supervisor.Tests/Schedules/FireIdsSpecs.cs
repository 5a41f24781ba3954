using Supervisor.Service.Schedules;

namespace Supervisor.Tests.Schedules;

/// <summary>The task ids of fires: RFC 4122 version 5 UUIDs, the same for the same fire, different for any other.</summary>
public sealed class FireIdsSpecs
{
    static readonly Guid Schedule = new("0b4c6a52-5d0e-4f7e-9a55-2f8f0c7f1a01");

    static readonly DateTime At = new(2025, 6, 2, 9, 30, 0, DateTimeKind.Utc);

    [Fact]
    public void A_name_based_id_is_the_RFC_4122_version_5_uuid()
    {
        var dns = new Guid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");

        Assert.Equal(new Guid("2ed6657d-e927-568b-95e1-2665a8aea6a2"), FireIds.NameBased(dns, "www.example.com"));
    }

    [Fact]
    public void A_fire_has_the_same_task_id_however_often_it_is_decided()
    {
        var id = FireIds.TaskId(Schedule, At);

        Assert.Equal(id, FireIds.TaskId(Schedule, new DateTime(At.Ticks, DateTimeKind.Utc)));
        Assert.Equal(id, FireIds.NameBased(FireIds.FireNamespace, "0b4c6a525d0e4f7e9a552f8f0c7f1a01/2025-06-02T09:30:00.0000000Z"));
        Assert.Equal('5', id.ToString()[14]);
        Assert.Contains(id.ToString()[19], "89ab");
    }

    [Fact]
    public void Another_occurrence_or_schedule_has_another_task_id()
    {
        var id = FireIds.TaskId(Schedule, At);

        Assert.NotEqual(id, FireIds.TaskId(Schedule, At.AddSeconds(1)));
        Assert.NotEqual(id, FireIds.TaskId(Schedule, At.AddTicks(1)));
        Assert.NotEqual(id, FireIds.TaskId(Guid.NewGuid(), At));
    }

    [Fact]
    public void A_manual_fire_has_the_task_id_of_its_request()
    {
        var request = Guid.NewGuid();
        var id = FireIds.ManualTaskId(Schedule, request);

        Assert.Equal(id, FireIds.ManualTaskId(Schedule, request));
        Assert.Equal(id, FireIds.NameBased(FireIds.FireNamespace, $"0b4c6a525d0e4f7e9a552f8f0c7f1a01/manual/{request:N}"));
        Assert.NotEqual(id, FireIds.ManualTaskId(Schedule, Guid.NewGuid()));
        Assert.NotEqual(id, FireIds.TaskId(Schedule, At));
    }

    [Fact]
    public void An_occurrence_that_is_not_UTC_is_refused() =>
        Assert.Throws<ArgumentException>(() => FireIds.TaskId(Schedule, new DateTime(At.Ticks, DateTimeKind.Local)));
}
