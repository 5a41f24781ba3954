using System.ComponentModel;
using System.Globalization;

namespace Supervisor.Settings;

/// <summary>
/// Makes configuration binding read every <see cref="TimeSpan"/> (and <c>TimeSpan?</c>, and lists of them) in the
/// forms of <see cref="Durations"/>: the binder converts a value through <see cref="TypeDescriptor.GetConverter(Type)"/>,
/// so one converter registered at start-up covers every options class.
/// </summary>
/// <remarks>
/// The registration is process-wide, and other libraries convert through it too (Quartz reads its own settings this
/// way): so it only adds forms. A bare number still reads as <see cref="TimeSpan"/> always read it, as days; our own
/// settings refuse it in <see cref="DurationSettingsValidator{T}"/>, which names the key.
/// </remarks>
public sealed class DurationConverter : TimeSpanConverter
{
    static int _registered;

    /// <summary>Installs the converter for the whole process; later calls do nothing.</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
            TypeDescriptor.AddAttributes(typeof(TimeSpan), new TypeConverterAttribute(typeof(DurationConverter)));
    }

    /// <inheritdoc />
    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value)
    {
        if (value is not string text)
            return base.ConvertFrom(context, culture, value);
        if (Durations.TryParse(text, out var duration, out var error))
            return duration;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            return base.ConvertFrom(context, culture, value);
        throw new FormatException(error);
    }
}
