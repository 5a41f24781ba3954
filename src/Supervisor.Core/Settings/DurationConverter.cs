using System.ComponentModel;
using System.Globalization;

namespace Supervisor.Settings;

/// <summary>
/// Makes configuration binding read every <see cref="TimeSpan"/> (and <c>TimeSpan?</c>, and lists of them) with
/// <see cref="Durations"/>: the binder converts a value through <see cref="TypeDescriptor.GetConverter(Type)"/>, so one
/// converter registered at start-up covers every options class, and a rejected value fails binding with a message
/// naming its key (the binder's) and how to write it (ours).
/// </summary>
public sealed class DurationConverter : TimeSpanConverter
{
    static int registered;

    /// <summary>Installs the converter for the whole process; later calls do nothing.</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref registered, 1) == 0)
            TypeDescriptor.AddAttributes(typeof(TimeSpan), new TypeConverterAttribute(typeof(DurationConverter)));
    }

    /// <inheritdoc />
    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text ? Durations.Parse(text) : base.ConvertFrom(context, culture, value);
}
