/*
 * wsk.h - what kernel drivers name through the WDK's wsk.h from the socket definitions it brings
 * (ws2def.h, ws2ipdef.h) and the address-to-string routines (ip2string.h): address families, IPv4
 * and IPv6 addresses and socket addresses, with the WDK's layouts. The Winsock Kernel interface
 * itself is not declared. RtlIpv4AddressToStringEx / RtlIpv6AddressToStringEx are declared, not
 * modeled (kfault/not_modeled.def): a call stops with routine-not-modeled.
 */
#ifndef KFAULT_WSK_H
#define KFAULT_WSK_H

#include "wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef USHORT ADDRESS_FAMILY;
#define AF_UNSPEC 0
#define AF_INET   2
#define AF_INET6  23

typedef struct in_addr {
    union {
        struct {
            UCHAR s_b1, s_b2, s_b3, s_b4;
        } S_un_b;
        struct {
            USHORT s_w1, s_w2;
        } S_un_w;
        ULONG S_addr;
    } S_un;
} IN_ADDR, *PIN_ADDR;

typedef struct in6_addr {
    union {
        UCHAR Byte[16];
        USHORT Word[8];
    } u;
} IN6_ADDR, *PIN6_ADDR;

typedef struct {
    union {
        struct {
            ULONG Zone : 28;
            ULONG Level : 4;
        };
        ULONG Value;
    };
} SCOPE_ID, *PSCOPE_ID;

typedef struct sockaddr {
    ADDRESS_FAMILY sa_family;
    CHAR sa_data[14];
} SOCKADDR, *PSOCKADDR;

typedef struct sockaddr_in {
    ADDRESS_FAMILY sin_family;
    USHORT sin_port;
    IN_ADDR sin_addr;
    CHAR sin_zero[8];
} SOCKADDR_IN, *PSOCKADDR_IN;

typedef struct sockaddr_in6 {
    ADDRESS_FAMILY sin6_family;
    USHORT sin6_port;
    ULONG sin6_flowinfo;
    IN6_ADDR sin6_addr;
    union {
        ULONG sin6_scope_id;
        SCOPE_ID sin6_scope_struct;
    };
} SOCKADDR_IN6, *PSOCKADDR_IN6;

#define _SS_MAXSIZE   128
#define _SS_ALIGNSIZE (sizeof(LONGLONG))
#define _SS_PAD1SIZE  (_SS_ALIGNSIZE - sizeof(USHORT))
#define _SS_PAD2SIZE  (_SS_MAXSIZE - (sizeof(USHORT) + _SS_PAD1SIZE + _SS_ALIGNSIZE))
typedef struct sockaddr_storage {
    ADDRESS_FAMILY ss_family;
    CHAR __ss_pad1[_SS_PAD1SIZE];
    LONGLONG __ss_align;
    CHAR __ss_pad2[_SS_PAD2SIZE];
} SOCKADDR_STORAGE, *PSOCKADDR_STORAGE;

/* ip2string.h: an address (and port, in network byte order) as text; the length counts the NUL.
 * The neutral name is the Unicode routine when UNICODE is defined, the ANSI one otherwise. */
NTSYSAPI NTSTATUS NTAPI RtlIpv4AddressToStringExA(_In_ const struct in_addr *Address, _In_ USHORT Port,
                                                  _Out_writes_to_(*AddressStringLength, *AddressStringLength) PSTR
                                                      AddressString,
                                                  _Inout_ PULONG AddressStringLength);
NTSYSAPI NTSTATUS NTAPI RtlIpv4AddressToStringExW(_In_ const struct in_addr *Address, _In_ USHORT Port,
                                                  _Out_writes_to_(*AddressStringLength, *AddressStringLength) PWSTR
                                                      AddressString,
                                                  _Inout_ PULONG AddressStringLength);
NTSYSAPI NTSTATUS NTAPI RtlIpv6AddressToStringExA(_In_ const struct in6_addr *Address, _In_ ULONG ScopeId,
                                                  _In_ USHORT Port,
                                                  _Out_writes_to_(*AddressStringLength, *AddressStringLength) PSTR
                                                      AddressString,
                                                  _Inout_ PULONG AddressStringLength);
NTSYSAPI NTSTATUS NTAPI RtlIpv6AddressToStringExW(_In_ const struct in6_addr *Address, _In_ ULONG ScopeId,
                                                  _In_ USHORT Port,
                                                  _Out_writes_to_(*AddressStringLength, *AddressStringLength) PWSTR
                                                      AddressString,
                                                  _Inout_ PULONG AddressStringLength);
#ifdef UNICODE
#define RtlIpv4AddressToStringEx RtlIpv4AddressToStringExW
#define RtlIpv6AddressToStringEx RtlIpv6AddressToStringExW
#else
#define RtlIpv4AddressToStringEx RtlIpv4AddressToStringExA
#define RtlIpv6AddressToStringEx RtlIpv6AddressToStringExA
#endif

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_WSK_H */
