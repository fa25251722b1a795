#include "textflag.h"

// func dw3x3AVX(dst, r0, r1, r2, w *float32, c int)
//
// dst[j] += Σ_{ky,kx<3} rky[kx·c + j] · w[(3·ky + kx)·c + j] for j < c (c a multiple of
// 8): one output pixel of a 3×3 depthwise conv whose window lies inside the input. r0,
// r1, r2 point at the window's three input rows (3·c contiguous floats each), w at the
// filter in [ky][kx][c] order. AVX2 + FMA, eight channels per step.
TEXT ·dw3x3AVX(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ r0+8(FP), AX
	MOVQ r1+16(FP), BX
	MOVQ r2+24(FP), CX
	MOVQ w+32(FP), DX
	MOVQ c+40(FP), R11
	MOVQ R11, R8
	SHLQ $2, R8               // R8 = c·4 bytes: next tap
	LEAQ (R8)(R8*1), R9       // R9 = 2·c·4
	LEAQ (R9)(R8*1), R12      // R12 = 3·c·4: next filter row
	LEAQ (DX)(R12*1), SI      // filter row 1
	LEAQ (SI)(R12*1), R10     // filter row 2

loop:
	CMPQ    R11, $8
	JL      done
	VMOVUPS (DI), Y0
	VMOVUPS (AX), Y1
	VFMADD231PS (DX), Y1, Y0
	VMOVUPS (AX)(R8*1), Y1
	VFMADD231PS (DX)(R8*1), Y1, Y0
	VMOVUPS (AX)(R9*1), Y1
	VFMADD231PS (DX)(R9*1), Y1, Y0
	VMOVUPS (BX), Y1
	VFMADD231PS (SI), Y1, Y0
	VMOVUPS (BX)(R8*1), Y1
	VFMADD231PS (SI)(R8*1), Y1, Y0
	VMOVUPS (BX)(R9*1), Y1
	VFMADD231PS (SI)(R9*1), Y1, Y0
	VMOVUPS (CX), Y1
	VFMADD231PS (R10), Y1, Y0
	VMOVUPS (CX)(R8*1), Y1
	VFMADD231PS (R10)(R8*1), Y1, Y0
	VMOVUPS (CX)(R9*1), Y1
	VFMADD231PS (R10)(R9*1), Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, AX
	ADDQ    $32, BX
	ADDQ    $32, CX
	ADDQ    $32, DX
	ADDQ    $32, SI
	ADDQ    $32, R10
	SUBQ    $8, R11
	JMP     loop

done:
	VZEROUPPER
	RET

// func dwRowAVX(dst, src *float32, rowStride int, w, scale, shift *float32, c, n, step int)
//
// n consecutive interior output pixels of a 3×3 depthwise conv followed by
// clip(v·scale + shift, 0, 6) per channel: for pixel i, the window's top-left input pixel
// is at src + i·step bytes and its rows lie rowStride bytes apart; dst advances c floats per
// pixel. The taps are summed from zero in dw3x3AVX's order, then multiplied and added
// (not fused), so the values equal dw3x3AVX followed by epilogue. c is a multiple of 8.
TEXT ·dwRowAVX(SB), NOSPLIT, $0-72
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rowStride+16(FP), R8
	MOVQ w+24(FP), DX
	MOVQ scale+32(FP), R9
	MOVQ shift+40(FP), R10
	MOVQ c+48(FP), R12
	SHLQ $2, R12               // R12 = c·4 bytes: next tap
	LEAQ (R12)(R12*1), R13     // R13 = 2·c·4
	MOVQ n+56(FP), CX
	MOVQ step+64(FP), R11
	VXORPS Y6, Y6, Y6
	MOVL    $0x40c00000, AX
	VMOVD   AX, X7
	VBROADCASTSS X7, Y7
	TESTQ CX, CX
	JE    done

pixel:
	XORQ R14, R14

chunk:
	LEAQ   (SI)(R14*1), AX
	LEAQ   (DX)(R14*1), BX
	VXORPS Y0, Y0, Y0
	VMOVUPS (AX), Y1
	VFMADD231PS (BX), Y1, Y0
	VMOVUPS (AX)(R12*1), Y1
	VFMADD231PS (BX)(R12*1), Y1, Y0
	VMOVUPS (AX)(R13*1), Y1
	VFMADD231PS (BX)(R13*1), Y1, Y0
	ADDQ R8, AX
	LEAQ (BX)(R12*1), BX
	LEAQ (BX)(R13*1), BX
	VMOVUPS (AX), Y1
	VFMADD231PS (BX), Y1, Y0
	VMOVUPS (AX)(R12*1), Y1
	VFMADD231PS (BX)(R12*1), Y1, Y0
	VMOVUPS (AX)(R13*1), Y1
	VFMADD231PS (BX)(R13*1), Y1, Y0
	ADDQ R8, AX
	LEAQ (BX)(R12*1), BX
	LEAQ (BX)(R13*1), BX
	VMOVUPS (AX), Y1
	VFMADD231PS (BX), Y1, Y0
	VMOVUPS (AX)(R12*1), Y1
	VFMADD231PS (BX)(R12*1), Y1, Y0
	VMOVUPS (AX)(R13*1), Y1
	VFMADD231PS (BX)(R13*1), Y1, Y0
	VMULPS  (R9)(R14*1), Y0, Y0
	VADDPS  (R10)(R14*1), Y0, Y0
	VMAXPS  Y6, Y0, Y0
	VMINPS  Y7, Y0, Y0
	VMOVUPS Y0, (DI)(R14*1)
	ADDQ    $32, R14
	CMPQ    R14, R12
	JL      chunk
	ADDQ    R12, DI
	ADDQ    R11, SI
	DECQ    CX
	JNZ     pixel

done:
	VZEROUPPER
	RET
