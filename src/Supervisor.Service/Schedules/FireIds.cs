using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Supervisor.Service.Schedules;

/// <summary>
/// The id of the task a fire makes, derived from what the fire is: however often an occurrence is decided again (a
/// wake-up repeated, a commit lost after the publish), its <c>SubmitTask</c> carries the same id and the saga, idempotent
/// by id, makes one task.
/// </summary>
public static class FireIds
{
    /// <summary>
    /// The namespace of every fire's name-based id (generated once for this purpose). Never change it: the ids of fires
    /// already decided, and of the tasks they made, derive from it.
    /// </summary>
    public static readonly Guid FireNamespace = new("35172c81-8848-40b8-8990-e2bda1ffd044");

    /// <summary>The task of a schedule's fire at <paramref name="occurrenceUtc"/> (scheduled or caught up alike).</summary>
    public static Guid TaskId(Guid scheduleId, DateTime occurrenceUtc)
    {
        if (occurrenceUtc.Kind != DateTimeKind.Utc)
            throw new ArgumentException($"must be a UTC time (its Kind is {occurrenceUtc.Kind}).", nameof(occurrenceUtc));
        return NameBased(FireNamespace, string.Create(CultureInfo.InvariantCulture,
            $"{scheduleId:N}/{occurrenceUtc:yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'}"));
    }

    /// <summary>The task of a manual trigger; a request retried with the same <paramref name="requestId"/> names the same task.</summary>
    public static Guid ManualTaskId(Guid scheduleId, Guid requestId) =>
        NameBased(FireNamespace, $"{scheduleId:N}/manual/{requestId:N}");

    /// <summary>An RFC 4122 version 5 (SHA-1, name-based) UUID of <paramref name="name"/> (UTF-8) in <paramref name="namespaceId"/>.</summary>
    [SuppressMessage("Security", "CA5350", Justification = "RFC 4122 defines version 5 with SHA-1; the hash names an id, it protects nothing.")]
    public static Guid NameBased(Guid namespaceId, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var input = new byte[16 + Encoding.UTF8.GetByteCount(name)];
        namespaceId.TryWriteBytes(input, bigEndian: true, out _);
        Encoding.UTF8.GetBytes(name, input.AsSpan(16));
        var hash = SHA1.HashData(input);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);   // version 5
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);   // variant RFC 4122
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
