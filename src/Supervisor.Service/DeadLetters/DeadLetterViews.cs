using System.Globalization;
using System.Text.Json;
using RabbitMQ.Client;

namespace Supervisor.Service.DeadLetters;

/// <summary>A dead-letter queue: where its messages came from, how many wait, and the first of them.</summary>
public sealed record DeadLetterQueueView(string Queue, string Source, long Count, IReadOnlyList<DeadLetterView> Messages);

/// <summary>
/// One dead letter, from its envelope and MassTransit's fault headers: what it was, which task it concerns (when its
/// message names one), why it was moved (<c>fault</c>, <c>skip</c>), and the exception and time of its last failure.
/// </summary>
public sealed record DeadLetterView(string? MessageId, string? Type, Guid? TaskId, string? Reason, string? Exception, DateTimeOffset? FaultedAt,
    string? Consumer)
{
    const string MessageUrn = "urn:message:";

    internal static DeadLetterView Read(IReadOnlyBasicProperties properties, ReadOnlySpan<byte> body)
    {
        string? messageId = properties.MessageId, type = null;
        Guid? taskId = null;
        try
        {
            using var envelope = JsonDocument.Parse(body.ToArray());
            var root = envelope.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (Property(root, "messageType") is { ValueKind: JsonValueKind.Array } types && types.GetArrayLength() > 0)
                    type = types[0].GetString() is { } urn && urn.StartsWith(MessageUrn, StringComparison.Ordinal) ? urn[MessageUrn.Length..] : types[0].GetString();
                messageId ??= Property(root, "messageId")?.GetString();
                taskId = TaskIdIn(Property(root, "message"), depth: 2);
            }
        }
        catch (JsonException)
        {
            // Not JSON: a malformed message, listed with what its headers say.
        }

        type ??= DeadLetterQueues.Header(properties, "MT-Fault-MessageType");
        var exceptionType = DeadLetterQueues.Header(properties, "MT-Fault-ExceptionType");
        var exceptionMessage = DeadLetterQueues.Header(properties, "MT-Fault-Message");
        var exception = exceptionType is null ? exceptionMessage : exceptionMessage is null ? exceptionType : $"{exceptionType}: {exceptionMessage}";
        var faultedAt = DateTimeOffset.TryParse(DeadLetterQueues.Header(properties, "MT-Fault-Timestamp"), CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal, out var at) ? at.ToUniversalTime() : (DateTimeOffset?)null;
        return new DeadLetterView(messageId, type, taskId, DeadLetterQueues.Header(properties, "MT-Reason"), exception, faultedAt,
            DeadLetterQueues.Header(properties, "MT-Fault-ConsumerType"));
    }

    /// <summary>A message's <c>taskId</c>, or that of the message it wraps (a <c>Fault&lt;RunAgentJob&gt;</c>).</summary>
    static Guid? TaskIdIn(JsonElement? message, int depth)
    {
        if (message is not { ValueKind: JsonValueKind.Object } m || depth == 0)
            return null;
        if (Property(m, "taskId") is { ValueKind: JsonValueKind.String } id && id.TryGetGuid(out var taskId))
            return taskId;
        return TaskIdIn(Property(m, "message"), depth - 1);
    }

    static JsonElement? Property(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
                return property.Value;
        }

        return null;
    }
}

/// <summary>The body of <c>POST /api/dead-letters/redrive</c> and <c>/purge</c>: one queue, and one message of it or all.</summary>
public sealed record DeadLetterActionRequest(string? Queue, string? Id, bool? All);

/// <summary>What a redrive did: how many messages went back to <see cref="Source"/>.</summary>
public sealed record DeadLettersRedriven(string Queue, string Source, long Redriven);

/// <summary>What a purge did: how many messages were deleted.</summary>
public sealed record DeadLettersPurged(string Queue, long Purged);
