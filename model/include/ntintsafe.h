/*
 * ntintsafe.h - the WDK's kernel-mode integer overflow helpers (RtlULongAdd, RtlSizeTMult,
 * RtlULongToUShort, ...) as inline functions, as the WDK has them.
 *
 * Each returns STATUS_SUCCESS with the exact result, or STATUS_INTEGER_OVERFLOW with *Result set
 * to the type's *_ERROR value (all bits set for unsigned types, -1 for signed), as the WDK's
 * inline bodies do (rule U-28 of model/SEMANTICS.md). Declares only WDK names.
 */
#ifndef KFAULT_NTINTSAFE_H
#define KFAULT_NTINTSAFE_H

#include "wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define USHORT_ERROR ((USHORT)0xffff)
#define UCHAR_ERROR ((UCHAR)0xff)
#define BYTE_ERROR ((BYTE)0xff)
#define WORD_ERROR ((WORD)0xffff)
#define UINT_ERROR ((UINT)0xffffffff)
#define ULONG_ERROR ((ULONG)0xffffffff)
#define DWORD_ERROR ((DWORD)0xffffffff)
#define ULONGLONG_ERROR ((ULONGLONG)0xffffffffffffffffULL)
#define ULONG_PTR_ERROR ((ULONG_PTR)-1)
#define SIZET_ERROR ((SIZE_T)-1)
#define SIZE_T_ERROR ((SIZE_T)-1)
#define SHORT_ERROR ((SHORT)-1)
#define INT_ERROR ((INT)-1)
#define LONG_ERROR ((LONG)-1)
#define LONGLONG_ERROR ((LONGLONG)-1)
#define LONG_PTR_ERROR ((LONG_PTR)-1)

/* Arithmetic: Name(T a, T b, T *result). */
#define KF__INTSAFE_ARITH(name, T, err, op)                                                         \
    FORCEINLINE NTSTATUS name(T a, T b, T *result)                                                \
    {                                                                                             \
        if (__builtin_##op##_overflow(a, b, result)) {                                            \
            *result = err;                                                                        \
            return STATUS_INTEGER_OVERFLOW;                                                       \
        }                                                                                         \
        return STATUS_SUCCESS;                                                                    \
    }
/* Conversion: Name(From value, To *result); fails when value is outside To's range. */
#define KF__INTSAFE_CONV(name, From, To, err)                                                       \
    FORCEINLINE NTSTATUS name(From value, To *result)                                             \
    {                                                                                             \
        if (__builtin_add_overflow(value, 0, result)) {                                           \
            *result = err;                                                                        \
            return STATUS_INTEGER_OVERFLOW;                                                       \
        }                                                                                         \
        return STATUS_SUCCESS;                                                                    \
    }

#define KF__INTSAFE_ALL(prefix, T, err)                                                             \
    KF__INTSAFE_ARITH(prefix##Add, T, err, add)                                                   \
    KF__INTSAFE_ARITH(prefix##Sub, T, err, sub)                                                   \
    KF__INTSAFE_ARITH(prefix##Mult, T, err, mul)

KF__INTSAFE_ALL(RtlUShort, USHORT, USHORT_ERROR)
KF__INTSAFE_ALL(RtlWord, WORD, WORD_ERROR)
KF__INTSAFE_ALL(RtlUInt, UINT, UINT_ERROR)
KF__INTSAFE_ALL(RtlULong, ULONG, ULONG_ERROR)
KF__INTSAFE_ALL(RtlDWord, DWORD, DWORD_ERROR)
KF__INTSAFE_ALL(RtlULongLong, ULONGLONG, ULONGLONG_ERROR)
KF__INTSAFE_ALL(RtlULongPtr, ULONG_PTR, ULONG_PTR_ERROR)
KF__INTSAFE_ALL(RtlDWordPtr, ULONG_PTR, ULONG_PTR_ERROR)
KF__INTSAFE_ALL(RtlSizeT, SIZE_T, SIZET_ERROR)
KF__INTSAFE_ALL(RtlShort, SHORT, SHORT_ERROR)
KF__INTSAFE_ALL(RtlInt, INT, INT_ERROR)
KF__INTSAFE_ALL(RtlLong, LONG, LONG_ERROR)
KF__INTSAFE_ALL(RtlLongLong, LONGLONG, LONGLONG_ERROR)
KF__INTSAFE_ALL(RtlLongPtr, LONG_PTR, LONG_PTR_ERROR)
#define RtlSIZETAdd RtlSizeTAdd
#define RtlSIZETSub RtlSizeTSub
#define RtlSIZETMult RtlSizeTMult

KF__INTSAFE_CONV(RtlULongToUShort, ULONG, USHORT, USHORT_ERROR)
KF__INTSAFE_CONV(RtlULongToUChar, ULONG, UCHAR, UCHAR_ERROR)
KF__INTSAFE_CONV(RtlULongToLong, ULONG, LONG, LONG_ERROR)
KF__INTSAFE_CONV(RtlULongToInt, ULONG, INT, INT_ERROR)
KF__INTSAFE_CONV(RtlUShortToUChar, USHORT, UCHAR, UCHAR_ERROR)
KF__INTSAFE_CONV(RtlLongToULong, LONG, ULONG, ULONG_ERROR)
KF__INTSAFE_CONV(RtlLongToUShort, LONG, USHORT, USHORT_ERROR)
KF__INTSAFE_CONV(RtlLongToSizeT, LONG, SIZE_T, SIZET_ERROR)
KF__INTSAFE_CONV(RtlIntToULong, INT, ULONG, ULONG_ERROR)
KF__INTSAFE_CONV(RtlULongLongToULong, ULONGLONG, ULONG, ULONG_ERROR)
KF__INTSAFE_CONV(RtlULongLongToUShort, ULONGLONG, USHORT, USHORT_ERROR)
KF__INTSAFE_CONV(RtlULongLongToLong, ULONGLONG, LONG, LONG_ERROR)
KF__INTSAFE_CONV(RtlULongLongToSizeT, ULONGLONG, SIZE_T, SIZET_ERROR)
KF__INTSAFE_CONV(RtlLongLongToULong, LONGLONG, ULONG, ULONG_ERROR)
KF__INTSAFE_CONV(RtlLongLongToLong, LONGLONG, LONG, LONG_ERROR)
KF__INTSAFE_CONV(RtlSizeTToULong, SIZE_T, ULONG, ULONG_ERROR)
KF__INTSAFE_CONV(RtlSizeTToUShort, SIZE_T, USHORT, USHORT_ERROR)
KF__INTSAFE_CONV(RtlSizeTToLong, SIZE_T, LONG, LONG_ERROR)
KF__INTSAFE_CONV(RtlULongPtrToULong, ULONG_PTR, ULONG, ULONG_ERROR)
KF__INTSAFE_CONV(RtlULongPtrToUShort, ULONG_PTR, USHORT, USHORT_ERROR)

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_NTINTSAFE_H */
