using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using MassTransit.Scheduling;
using MassTransit.Serialization;

namespace Supervisor.Service.Scheduling;

/// <summary>
/// The stored form of a scheduled message: the MassTransit JSON envelope it will be sent in.
/// </summary>
/// <remarks>
/// The scheduling side (<c>ScheduleSend</c>, scheduled redelivery) sets the scheduled message's id, correlation ids,
/// addresses and headers — <c>MT-Redelivery-Count</c>, <c>MT-OriginalMessageId</c>, custom ones — on the send context
/// of the <see cref="ScheduleMessage"/> itself, so its envelope already is the outgoing envelope except for the message,
/// its types and its destination. Working on the raw JSON keeps every value exactly as it was written.
/// </remarks>
static class ScheduledEnvelope
{
    public static string FromScheduleMessage(ConsumeContext<ScheduleMessage> context)
    {
        var contentType = context.ReceiveContext.ContentType?.MediaType;
        if (!string.Equals(contentType, SystemTextJsonMessageSerializer.JsonContentType.MediaType, StringComparison.OrdinalIgnoreCase))
        {
            throw new NotSupportedException(
                $"ScheduleMessage must be sent as {SystemTextJsonMessageSerializer.JsonContentType.MediaType} (MassTransit's default serializer), not {contentType}.");
        }

        var schedule = context.Message;
        if (schedule.Destination is not { IsAbsoluteUri: true })
            throw new FormatException($"ScheduleMessage {schedule.CorrelationId} has no absolute destination address.");
        if (schedule.PayloadType is not { Length: > 0 })
            throw new FormatException($"ScheduleMessage {schedule.CorrelationId} has no payload type.");

        var envelope = JsonNode.Parse(context.ReceiveContext.Body.GetBytes()) as JsonObject
            ?? throw new FormatException("The ScheduleMessage body is not a JSON envelope.");
        var payload = (Property(envelope, "message") as JsonObject is { } message ? Property(message, "payload") : null)
            ?? throw new FormatException($"ScheduleMessage {schedule.CorrelationId} has no payload.");

        Replace(envelope, "message", payload.DeepClone());
        Replace(envelope, "messageType", new JsonArray([.. schedule.PayloadType.Select(type => JsonValue.Create(type))]));
        Replace(envelope, "destinationAddress", JsonValue.Create(schedule.Destination.ToString()));

        var json = envelope.ToJsonString();
        // Refuse now, while the ScheduleMessage can still go to the error queue, what could not be sent later.
        Read(json);
        return json;
    }

    public static MessageEnvelope Read(string json) =>
        JsonSerializer.Deserialize<MessageEnvelope>(json, SystemTextJsonMessageSerializer.Options)
        ?? throw new FormatException("The stored envelope is empty.");

    /// <summary>
    /// Header values read back from JSON are <see cref="JsonElement"/>s, which no transport can carry: turn them back into
    /// the strings, numbers and booleans they were written from (<c>MT-Redelivery-Count</c> must stay a number).
    /// </summary>
    public static object? HeaderValue(object? value) => value is JsonElement element
        ? element.ValueKind switch
        {
            JsonValueKind.String => element.GetString(),
            JsonValueKind.Number => element.TryGetInt32(out var i) ? i : element.TryGetInt64(out var l) ? l : element.GetDouble(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => element.GetRawText(),
        }
        : value;

    // MassTransit reads envelopes case-insensitively, so a producer may have written "Message" as well as "message".
    static JsonNode? Property(JsonObject json, string name) =>
        json.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    static void Replace(JsonObject json, string name, JsonNode? value)
    {
        foreach (var key in json.Select(p => p.Key).Where(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)).ToList())
            json.Remove(key);
        json[name] = value;
    }
}
