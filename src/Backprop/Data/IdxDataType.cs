namespace Backprop.Data;

/// <summary>The element type code of an IDX file (third byte of the magic number).</summary>
public enum IdxDataType : byte
{
    /// <summary>0x08: unsigned byte.</summary>
    UnsignedByte = 0x08,
    /// <summary>0x09: signed byte.</summary>
    SignedByte = 0x09,
    /// <summary>0x0B: 16-bit signed integer, big-endian.</summary>
    Int16 = 0x0B,
    /// <summary>0x0C: 32-bit signed integer, big-endian.</summary>
    Int32 = 0x0C,
    /// <summary>0x0D: IEEE 754 float32, big-endian.</summary>
    Single = 0x0D,
    /// <summary>0x0E: IEEE 754 float64, big-endian.</summary>
    Double = 0x0E,
}
