using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Supervisor.Cli.Api;

/// <summary>
/// Reads API timestamps as UTC when they carry no offset. The API promises ISO UTC strings, but a <c>DateTime</c> of
/// unspecified kind serializes without the <c>Z</c>, and the default reader would then take it as local time.
/// </summary>
sealed class UtcDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : throw new JsonException($"'{text}' is not a timestamp");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
}
